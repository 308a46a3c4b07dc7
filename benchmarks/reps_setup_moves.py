"""Counting sets that begin and end with a set-up move, on synthesised recordings with known reps.

Real recordings rarely start at the set's rest pose: people pick up their weights, get down to the
floor, climb onto a bench. Two scenarios (gyml.synth.setup_moves), each set counted by the paper's counter
and by gyml's:
- weights: a hip hinge down to the floor and back (picking the dumbbells up), the dumbbells carried to
  where a set of curls, raises or presses starts, and the same in reverse after it (putting them down):
  moves far larger than the reps;
- knees: push-ups that start and end kneeling, with the hands planted.

    python benchmarks/reps_setup_moves.py
    python benchmarks/reps_setup_moves.py --held-out   # other seeds and rep counts than the rules were
                                                       # tuned on (weights: 4, 6, 10 reps, seeds 3-8)
"""

from __future__ import annotations

import argparse

import numpy as np

from gyml.reps.counter import count_reps
from gyml.synth.setup_moves import push_ups_from_the_knees, with_weights_picked_up


def scenarios(held_out: bool = False):
    weights_reps, weights_seeds = ((4, 6, 10), range(3, 9)) if held_out else ((5, 8), range(3))
    knees_reps, knees_seeds = ((5, 8), range(4, 10)) if held_out else ((4, 6, 10), range(4))
    for exercise in ("lateral_raise", "front_raise", "bicep_curl", "shoulder_press"):
        for reps in weights_reps:
            for seed in weights_seeds:
                yield "weights", f"{exercise} x{reps} seed {seed}", reps, with_weights_picked_up(exercise, reps, seed)
    for reps in knees_reps:
        for seed in knees_seeds:
            yield "knees", f"push_up x{reps} seed {seed}", reps, push_ups_from_the_knees(reps, seed)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--held-out", action="store_true", help="seeds and rep counts the rules were not tuned on")
    args = ap.parse_args()
    results: dict[str, list[tuple[int, int, int]]] = {}
    for scenario, name, truth, seq in scenarios(args.held_out):
        paper, gyml = count_reps(seq, "paper").count, count_reps(seq).count
        results.setdefault(scenario, []).append((truth, paper, gyml))
        print(f"{scenario:<8}{name:<28}{truth:>6}{paper:>7}{gyml:>6}")
    print()
    print(f"{'scenario':<10}{'sets':>5}{'paper exact':>13}{'within 1':>10}{'gyml exact':>12}{'within 1':>10}")
    for scenario, rows in results.items():
        a = np.array(rows)
        print(f"{scenario:<10}{len(a):>5}{np.mean(a[:, 1] == a[:, 0]):>13.2f}{np.mean(abs(a[:, 1] - a[:, 0]) <= 1):>10.2f}"
              f"{np.mean(a[:, 2] == a[:, 0]):>12.2f}{np.mean(abs(a[:, 2] - a[:, 0]) <= 1):>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

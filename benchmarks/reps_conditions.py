"""Counting synthesised sets under one hard condition at a time, with known reps.

Every non-isometric catalog exercise, `--per-exercise` sets each (random rep counts from 2 to 12, seeded),
under each condition; the share counted exactly by the paper's counter and by gyml's:
- noisy: 2 cm joint noise and 10% of the frames missing;
- pauses: a one-second hold at each rep's turning point and 1.5 s at rest between reps;
- slowing: each rep longer than the one before, the last 1.8 times the first (tiring);
- slow / fast: the catalog's tempo times 2.0 / 0.6;
- shallow: half the catalog's range of motion;
- idle: five seconds standing (or lying, kneeling, ...) before and after the set.

    python benchmarks/reps_conditions.py [--per-exercise 2] [--seed 11]
"""

from __future__ import annotations

import argparse

import numpy as np

from gyml.reps.counter import count_reps
from gyml.synth.catalog import CATALOG
from gyml.synth.motion import SynthConfig, synthesize

CONDITIONS = {
    "noisy": {"noise_m": 0.02, "missing_rate": 0.1},
    "pauses": {"pause_s": 1.0, "rest_pause_s": 1.5},
    "slowing": {"tempo_drift": 0.8},
    "slow": {"tempo_scale": 2.0},
    "fast": {"tempo_scale": 0.6},
    "shallow": {"depth": 0.5},
    "idle": {"lead_in_s": 5.0, "lead_out_s": 5.0},
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-exercise", type=int, default=2)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    exercises = [label for label, spec in CATALOG.items() if not spec.isometric]
    print(f"{len(exercises)} exercises x {args.per_exercise} sets a condition")
    print(f"{'condition':<10}{'sets':>6}{'paper exact':>13}{'gyml exact':>12}  gyml misses (exercise: truth -> counted)")
    for name, overrides in CONDITIONS.items():
        paper, gyml, misses = [], [], []
        for label in exercises:
            for _ in range(args.per_exercise):
                reps, seed = int(rng.integers(2, 13)), int(rng.integers(1 << 30))
                seq = synthesize(label, reps, seed=seed, config=SynthConfig(**overrides))
                paper.append(count_reps(seq, "paper").count == reps)
                counted = count_reps(seq).count
                gyml.append(counted == reps)
                if counted != reps:
                    misses.append(f"{label}: {reps} -> {counted}")
        print(f"{name:<10}{len(gyml):>6}{np.mean(paper):>13.2f}{np.mean(gyml):>12.2f}  {', '.join(misses)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

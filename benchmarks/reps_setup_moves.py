"""Counting sets that begin and end with a set-up move, on synthesised recordings with known reps.

Real recordings rarely start at the set's rest pose: people pick up their weights, get down to the
floor, climb onto a bench. Two scenarios, each set counted by the paper's counter and by gyml's:
- weights: a hip hinge down to the floor and back (picking the dumbbells up) before a set of curls,
  raises or presses, and the same after it (putting them down): a move far larger than the reps;
- knees: push-ups that start and end kneeling, with the hands planted.

    python benchmarks/reps_setup_moves.py
"""

from __future__ import annotations

import numpy as np

from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import JOINT
from gyml.reps.counter import count_reps
from gyml.synth import SynthConfig, synthesize

CONFIG = SynthConfig(noise_m=0.0, lead_in_s=0.5, lead_out_s=0.5)
HANDS = [JOINT["left_wrist"], JOINT["right_wrist"]]


def _joined(*parts: np.ndarray, fps: float = 30.0) -> PoseSequence:
    joints = np.concatenate(parts).astype(np.float32)
    joints += np.random.default_rng(0).normal(0, 0.004, joints.shape).astype(np.float32)
    return PoseSequence(joints=joints, confidence=np.ones(joints.shape[:2], np.float32), fps=fps, source="synth")


def with_weights_picked_up(exercise: str, reps: int, seed: int) -> PoseSequence:
    cfg = SynthConfig(noise_m=0.0, lead_in_s=0.7, lead_out_s=0.7)
    core = synthesize(exercise, reps, seed=seed, config=cfg).joints
    hinge = synthesize("deadlift", 1, seed=seed, config=cfg).joints
    hinge = hinge - hinge[:, :1] + core[0, :1]
    return _joined(hinge, core, hinge)


def from_the_knees(reps: int, seed: int) -> PoseSequence:
    core = synthesize("push_up", reps, seed=seed, config=CONFIG).joints
    kneel = synthesize("kneeling_push_up", 1, seed=seed, config=CONFIG).joints[0]
    first = kneel + (core[0][HANDS].mean(axis=0) - kneel[HANDS].mean(axis=0))
    last = kneel + (core[-1][HANDS].mean(axis=0) - kneel[HANDS].mean(axis=0))
    w = (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, 30)))[:, None, None]
    return _joined(np.repeat(first[None], 45, axis=0), (1 - w) * first + w * core[0], core,
                   (1 - w) * core[-1] + w * last, np.repeat(last[None], 45, axis=0))


def scenarios():
    for exercise in ("lateral_raise", "front_raise", "bicep_curl", "shoulder_press"):
        for reps in (5, 8):
            for seed in range(3):
                yield "weights", f"{exercise} x{reps} seed {seed}", reps, with_weights_picked_up(exercise, reps, seed)
    for reps in (4, 6, 10):
        for seed in range(4):
            yield "knees", f"push_up x{reps} seed {seed}", reps, from_the_knees(reps, seed)


def main() -> int:
    results: dict[str, list[tuple[int, int, int]]] = {}
    for scenario, name, truth, seq in scenarios():
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

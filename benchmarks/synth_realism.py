"""How close is synthesised motion to real motion? For every exercise present in ../shared/data, compare
joint-angle trajectories of real sequences (RepCount-pose dev and the videos) with synthesised ones: the
typical low and high value of each angle over a set (10th and 90th percentile, i.e. posture and range of
motion), and the tempo (median seconds per rep from the counter).

    python benchmarks/synth_realism.py [--per-class 12] [--exercise squat ...] [--all-angles]

Rows whose real and synthetic values differ by more than 20 degrees (0.3 torso lengths for heights) are
marked with '!'; the last table ranks exercises by their mean gap.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict

import numpy as np
from real_data import all_sequences

from gyml.classify.build_default import synthetic_dataset
from gyml.pose.kinematics import angle_table
from gyml.pose.skeleton import ANGLE_NAMES
from gyml.reps.counter import count_reps

HEIGHTS = {"knee_width_ratio", "hand_height", "hip_height"}


def profile(seq) -> tuple[np.ndarray, float]:
    """(angles, 2) 10th/90th percentiles and the median rep duration in seconds."""
    angles = angle_table(seq)
    lohi = np.percentile(angles, [10, 90], axis=0).T
    counted = count_reps(seq)
    durations = [(r.end - r.start) / seq.fps for r in counted.segments]
    return lohi, float(np.median(durations)) if durations else float("nan")


def gap(real: np.ndarray, synth: np.ndarray) -> np.ndarray:
    scale = np.array([1 / 0.015 if n in HEIGHTS else 1.0 for n in ANGLE_NAMES])[:, None]
    return np.abs(real - synth) * scale   # heights: 0.3 torso lengths count like 20 degrees


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=12)
    ap.add_argument("--exercise", nargs="*")
    ap.add_argument("--all-angles", action="store_true")
    args = ap.parse_args()
    real: dict[str, list] = defaultdict(list)
    for item in all_sequences():
        if not args.exercise or item.label in args.exercise:
            real[item.label].append(profile(item.seq))
    if not real:
        print("no real data found (../shared/data)", file=sys.stderr)
        return 1
    summary = []
    for label in sorted(real):
        synth = synthetic_dataset(args.per_class, seed=1, only=[label])
        sp = [profile(s) for s in synth.sequences]
        r_lohi = np.median([p[0] for p in real[label]], axis=0)
        s_lohi = np.median([p[0] for p in sp], axis=0)
        r_tempo = np.nanmedian([p[1] for p in real[label]])
        s_tempo = np.nanmedian([p[1] for p in sp])
        g = gap(r_lohi, s_lohi)
        summary.append((float(g.mean()), label, len(real[label]), r_tempo, s_tempo))
        print(f"\n{label}: {len(real[label])} real vs {len(sp)} synthesised; seconds per rep "
              f"real {r_tempo:.2f}, synth {s_tempo:.2f}")
        print(f"  {'feature':<26}{'real p10':>9}{'synth':>7}{'real p90':>10}{'synth':>7}")
        for i, name in enumerate(ANGLE_NAMES):
            off = g[i].max() > 20
            if off or args.all_angles:
                print(f"{'!' if off else ' '} {name:<26}{r_lohi[i, 0]:>9.2f}{s_lohi[i, 0]:>7.2f}"
                      f"{r_lohi[i, 1]:>10.2f}{s_lohi[i, 1]:>7.2f}")
    print(f"\n{'exercise':<16}{'real n':>7}{'mean gap':>9}{'tempo real':>11}{'synth':>7}")
    for g, label, n, rt, st in sorted(summary, reverse=True):
        print(f"{label:<16}{n:>7}{g:>9.1f}{rt:>11.2f}{st:>7.2f}")
    print(f"{'all':<16}{sum(s[2] for s in summary):>7}{np.mean([s[0] for s in summary]):>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

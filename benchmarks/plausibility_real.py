"""The plausibility checks (gyml.pose.plausibility) on every real recording in ../shared and on synthesised
sets: how many are refused and how many frames are made missing (goal: none), and on hostile data
(uniform noise, arrays in the wrong layout, 1e38 values): how many are caught (goal: all).

    PYTHONPATH=$PWD python benchmarks/plausibility_real.py
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from gyml.errors import GymlError
from gyml.pose.cache import cache_dir
from gyml.pose.plausibility import assess
from gyml.pose.readers import read_pose
from gyml.pose.sequence import PoseSequence
from gyml.synth import synthesize
from gyml.synth.catalog import CATALOG
from gyml.synth.motion import SynthConfig

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def judge(seq: PoseSequence, name: str) -> tuple[str, int]:
    try:
        broken, _ = assess(seq, name)
    except GymlError:
        return "refused", 0
    return ("dropped" if broken.any() else "clean"), int(broken.sum())


def real_groups():
    yield "RepCount dev (.npy)", [(p.name, lambda p=p: read_pose(p))
                                  for p in sorted((SHARED / "repcount_pose" / "dev").glob("*.npy"))]
    yield "UCF101 poses (.npz)", [(p.name, lambda p=p: PoseSequence.load(p))
                                  for p in sorted((SHARED / "ucf101" / "poses").glob("*.npz"))]
    yield "videos (pose cache)", [(p.name, lambda p=p: PoseSequence.load(p)) for p in sorted(cache_dir().glob("*.npz"))]
    yield "bodyweight CSVs", [(p.name, lambda p=p: read_pose(p))
                              for p in sorted((SHARED / "bodyweight_mistakes").glob("*.csv")) if p.name != "labels.csv"]
    configs = [SynthConfig(), SynthConfig(noise_m=0.015, missing_rate=0.3), SynthConfig(noise_m=0.05)]
    yield "synthesised (3 noise levels)", [(f"{label}/{j}", lambda label=label, j=j, c=c, i=i: synthesize(
        label, 5, seed=i * 3 + j, config=c)) for i, label in enumerate(CATALOG) for j, c in enumerate(configs)]


def hostile():
    rng = np.random.default_rng(0)
    for i, label in enumerate(list(CATALOG)[:10]):
        s = synthesize(label, 5, seed=i)
        n = len(s)
        yield "uniform noise", PoseSequence(rng.uniform(-1, 1, s.joints.shape), s.confidence, s.fps)
        yield "gaussian noise", PoseSequence(rng.normal(0, 0.3, s.joints.shape), s.confidence, s.fps)
        yield "(T,3,24) read as (T,24,3)", PoseSequence(s.joints.transpose(0, 2, 1).reshape(n, 24, 3),
                                                        s.confidence, s.fps)
        yield "joints permuted", PoseSequence(s.joints[:, rng.permutation(24)], s.confidence, s.fps)
        flat = s.joints.reshape(-1)
        yield "flat array re-read column-major", PoseSequence(flat.reshape(3, -1).T.reshape(-1, 24, 3)[:n],
                                                              s.confidence, s.fps)
        big = s.joints.copy()
        big[:] = 1e38
        yield "all values 1e38", PoseSequence(big, s.confidence, s.fps)
        some = s.joints.copy()
        some[::7] = 1e38
        yield "every 7th frame 1e38 (frames dropped)", PoseSequence(some, s.confidence, s.fps)


def main() -> None:
    t0 = time.perf_counter()
    print(f"{'real / synthesised':32s} {'inputs':>6s} {'refused':>7s} {'with frames dropped':>19s} {'frames dropped':>14s}")
    for group, items in real_groups():
        if not items:
            print(f"{group:32s} (not found)")
            continue
        results = [judge(load(), name) for name, load in items]
        refused = sum(r == "refused" for r, _ in results)
        dropped = sum(r == "dropped" for r, _ in results)
        print(f"{group:32s} {len(results):6d} {refused:7d} {dropped:19d} {sum(n for _, n in results):14d}")
    print(f"\n{'hostile':40s} {'inputs':>6s} {'caught':>6s}")
    tally: dict[str, list[int]] = {}
    for kind, seq in hostile():
        verdict, _ = judge(seq, kind)
        tally.setdefault(kind, []).append(verdict != "clean")
    for kind, caught in tally.items():
        print(f"{kind:40s} {len(caught):6d} {sum(caught):6d}")
    print(f"\n{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()

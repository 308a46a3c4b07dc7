"""Rep counting on the real RepCount-pose dev subset: MAE and OBO of the paper's counter and ours,
offline and streaming (frames fed one at a time to gyml.reps.stream.StreamingCounter, as `gyml live`
does), with the streaming counter's latency bound and its cost per frame.

    python benchmarks/reps_repcount.py [--data ../shared/data/repcount_pose/dev] [--per-video] [--stream-window 60]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

from gyml.pose.readers import read_pose
from gyml.reps.counter import count_reps
from gyml.reps.stream import StreamingCounter


def count_streaming(seq, window_s: float = 60.0) -> int:
    counter = StreamingCounter(seq.fps, window_s=window_s)
    for joints, conf, present in zip(seq.joints, seq.confidence, seq.present):
        counter.update(joints if present else None, conf if present else None)
    return counter.finish()

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "repcount_pose" / "dev"
POSERAC = {"MAE": 0.236, "OBO": 0.56}


def load_labels(folder: Path) -> list[tuple[str, str, int]]:
    with open(folder / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        npy = Path(r["name"]).with_suffix(".npy").name
        if (folder / npy).exists():
            out.append((npy, r["type"], int(float(r["count"]))))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT)
    ap.add_argument("--per-video", action="store_true")
    ap.add_argument("--stream-window", type=float, default=60.0, help="seconds the streaming counter looks back")
    args = ap.parse_args()
    if not (args.data / "labels.csv").exists():
        print(f"no RepCount data at {args.data}", file=sys.stderr)
        return 1
    labels = load_labels(args.data)
    results = {m: [] for m in ("paper", "gyml", "gyml streaming")}
    frames = 0
    for name, kind, truth in labels:
        seq = read_pose(args.data / name)
        frames += len(seq)
        for method in results:
            t0 = time.perf_counter()
            pred = count_streaming(seq, args.stream_window) if method == "gyml streaming" else count_reps(seq, method).count
            results[method].append((name, kind, truth, pred, time.perf_counter() - t0))
    print(f"RepCount-pose dev: {len(labels)} videos")
    print(f"{'method':<28}{'MAE':>8}{'OBO':>8}")
    for method, rows in results.items():
        err = np.array([abs(p - t) / max(t, 1) for _, _, t, p, _ in rows])
        obo = np.mean([abs(p - t) <= 1 for _, _, t, p, _ in rows])
        print(f"{method:<28}{err.mean():>8.3f}{obo:>8.3f}")
    print(f"{'PoseRAC (published, test)':<28}{POSERAC['MAE']:>8.3f}{POSERAC['OBO']:>8.3f}")
    stream = StreamingCounter(30.0)
    spent = sum(r[4] for r in results["gyml streaming"])
    print(f"streaming: a rep is counted at most {(stream.latency + stream.step) / stream.fps:.1f} s after it ends; "
          f"{1000 * spent / max(frames, 1):.2f} ms a frame on average ({frames} frames)")
    if args.per_video:
        print(f"{'name':<16}{'type':<16}{'truth':>5}{'paper':>6}{'gyml':>6}{'live':>6}")
        for (name, kind, truth, pp, _), (_, _, _, pg, _), (_, _, _, ps, _) in zip(
                results["paper"], results["gyml"], results["gyml streaming"]):
            print(f"{name:<16}{kind:<16}{truth:>5}{pp:>6}{pg:>6}{ps:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How much warm-up a span's cold-started tracker needs before it agrees with one pass over the video.

    python benchmarks/span_warmup.py                      # the 5 longest shared videos, cuts at 30/50/70 %
    python benchmarks/span_warmup.py --videos uncounted/squat.mp4 --cuts 0.5

For each video, one pass gives the reference landmarks. At each cut, a tracker started cold some time before
the cut is run through the cut and on for 3 s, as the tracker of a span starting there would be. Per
warm-up variant it prints the frames the model ran before the cut (the warm-up's cost), whether the last
5 of them agree with one pass within 2 cm on every landmark (the join rule of video_chunks: when they do
not, the earlier span's tracker re-tracks the span in series, a handover) and, if not, how many frames
after the cut such a handover would take (the cold tracker runs on for 3 s to tell). Variants:

    consecutive W s   every frame of the W seconds before the cut
    strided W s       every 2nd frame, then every frame for the last 0.5 s (the model runs on fewer frames)

Processor time is what this measures (frames through the model), so the machine's load does not matter.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data" / "videos"
VIDEOS = ["uncounted/squat.mp4", "uncounted/pushup_v_c6a86f.mp4", "uncounted/jacks.mp4",
          "uncounted/pushup_v_26b241.mp4", "uncounted/squat2.mp4"]
AFTER_S = 3.0


def one_pass(path: Path) -> tuple[np.ndarray, np.ndarray]:
    from gyml.pose.readers.video_chunks import Span, SpanTracker

    tracker = SpanTracker(path, Span(-math.inf, math.inf, 0.0), 0, in_caller=True)
    try:
        owned, _ = tracker.track()
    finally:
        tracker.close()
    return owned.times.copy(), owned.world.copy()


def cold_tracker(path: Path, cut: float, warmup: float, strided: bool, agree_before_cut
                 ) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """A tracker started cold `warmup` s before `cut`: (times, world landmarks, frames through the model
    before the cut, whether it agreed at the cut). When it did not, it runs on to `cut` + AFTER_S."""
    from gyml.pose.readers.video import landmarks_of, pose_estimator, quiet_native_logs
    from gyml.pose.readers.video_chunks import iter_timed_frames

    times, world, before, agreed = [], [], 0, None
    with pose_estimator() as estimator, quiet_native_logs(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k, (t, rgb) in enumerate(iter_timed_frames(path, cut - warmup, cut + AFTER_S, decoder_threads=1)):
            if t >= cut and agreed is None:
                agreed = agree_before_cut(np.array(times), np.array(world, np.float32))
                if agreed:
                    break
            if strided and t < cut - 0.5 and k % 2:
                continue
            before += t < cut
            times.append(t)
            world.append(landmarks_of(estimator.process(rgb))[0])
    return np.array(times), np.array(world, np.float32), before, bool(agreed)


def main() -> int:
    from gyml.pose.readers.video_chunks import JOIN_RUN, JOIN_TOLERANCE_M, converged_from

    parser = argparse.ArgumentParser()
    parser.add_argument("--videos", nargs="*", default=VIDEOS)
    parser.add_argument("--cuts", default="0.3,0.5,0.7", help="cut points, as shares of the duration")
    parser.add_argument("--variants", default="c2,c1,c0.5,s2,s1.5")
    args = parser.parse_args()
    variants = [(v[0] == "s", float(v[1:])) for v in args.variants.split(",")]
    totals: dict = {}
    for name in args.videos:
        path = SHARED / name
        times, world = one_pass(path)
        print(f"\n{name}: {len(times)} frames")
        for share in map(float, args.cuts.split(",")):
            i = int(share * len(times))
            cut = float(times[i]) - 1e-3
            for strided, warmup in variants:
                def agree_before_cut(t, w, times=times, world=world):
                    if len(t) < JOIN_RUN:
                        return False
                    reference = world[np.searchsorted(times, t[-JOIN_RUN:])]
                    return converged_from(reference, w[-JOIN_RUN:], JOIN_TOLERANCE_M, JOIN_RUN) == 0

                t, w, before, agrees = cold_tracker(path, cut, warmup, strided, agree_before_cut)
                after = t >= cut
                handover = None if agrees else converged_from(world[np.searchsorted(times, t[after])], w[after],
                                                              JOIN_TOLERANCE_M, JOIN_RUN)
                serial = 0 if agrees else (handover + JOIN_RUN if handover is not None else int(after.sum()))
                label = f"{'strided' if strided else 'consecutive'} {warmup:g} s"
                shown = "joins" if agrees else (f"handover of {serial} frames" if handover is not None
                                                else f"handover of > {serial} frames")
                print(f"  cut at {cut:5.1f} s, {label:16s}: {before:3d} frames before the cut; {shown}", flush=True)
                total = totals.setdefault(label, [0, 0, 0, 0])
                total[0] += before
                total[1] += agrees
                total[2] += 1
                total[3] += serial
    print("\nvariant: frames before the cut (model runs) / joins without a handover / frames re-tracked in series")
    for label, (before, joined, cuts, serial) in totals.items():
        print(f"  {label:16s}: {before:5d} / {joined} of {cuts} / {serial}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

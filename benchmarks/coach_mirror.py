"""The mirrored reading (gyml/pose/mirror.py) on real push-up videos: how steady, what it costs, and what it
does to push-up coaching.

1. `--extract`: read every push-up video we have as filmed and mirrored (one pass, cached in the pose
   cache under its own key): videos/pushup_form (40), UCF101's PushUps videos (32), the push-up clips of
   videos/counted, videos/uncounted and videos/form
   (and videos/form's clips of other exercises, which benchmarks/coach_real.py coaches).
2. Steadiness, no label used: per clip, how much fixed bones change length (`bone_length_spread`) and
   how much the landmarks shake (`landmark_jitter`), for the reading as filmed, the mirrored one, their
   mean, their visibility-weighted mean and, as a cheaper baseline, the reading as filmed smoothed over
   time (Savitzky-Golay, 7 frames, order 2). The averaging shipped (`DEFAULT_WEIGHTING`) was chosen on
   these figures alone, before any coaching figure was looked at.
3. Cost: the extraction's processor time against a plain read of the same videos, measured in this run.

    python benchmarks/coach_mirror.py [--extract] [--cost N]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from real_data import SHARED, smooth_over_time

from gyml.pose.mirror import (
    Reading,
    average_readings,
    bone_length_spread,
    landmark_jitter,
    read_pair,
)
from gyml.progress import progress_bar


def pushup_videos() -> dict[str, list]:
    """Every real push-up video, by where it comes from."""
    videos = SHARED / "videos"
    return {
        "pushup_form": sorted((videos / "pushup_form").glob("*.mp4")),
        "ucf101": sorted((SHARED / "ucf101" / "videos").glob("v_PushUps_*.avi")),
        "other videos": (sorted((videos / "counted").glob("push-ups*.mp4"))
                         + sorted((videos / "uncounted").glob("pushup*.mp4"))
                         + sorted((videos / "form").glob("pushup_*.mp4"))),
    }


def readings(pair) -> dict[str, Reading]:
    return {"as filmed": pair.plain, "mirrored": pair.mirrored,
            "mean": average_readings(pair.plain, pair.mirrored, "mean"),
            "visibility-weighted": average_readings(pair.plain, pair.mirrored, "visibility"),
            "as filmed, smoothed": smooth_over_time(pair.plain)}


def steadiness(groups: dict[str, list]) -> None:
    print("Steadiness per clip (median over clips; lower is steadier): bone length spread (IQR / median) and "
          "landmark jitter (mm, second difference)")
    groups = {**groups, "all push-up videos": [p for v in groups.values() for p in v]}
    for group, paths in groups.items():
        figures: dict[str, list] = {}
        for path in paths:
            for name, r in readings(read_pair(path)).items():
                figures.setdefault(name, []).append((bone_length_spread(r.world), landmark_jitter(r.world)))
        print(f"  {group} ({len(paths)} clips)")
        base = np.array(figures["as filmed"])
        for name, values in figures.items():
            v = np.array(values)
            better = np.mean(v[:, 0] < base[:, 0]) if name != "as filmed" else float("nan")
            print(f"    {name:<22} bones {np.nanmedian(v[:, 0]):.4f}  jitter {1000 * np.nanmedian(v[:, 1]):5.2f} mm"
                  + (f"  steadier bones than as filmed in {better:.0%} of clips" if np.isfinite(better) else ""))


def cost(paths: list, count: int) -> None:
    """Processor time of a plain read against the mirrored pair's, on the same clips, now."""
    from gyml.pose.mirror import extract_pair
    from gyml.pose.readers.video import read_video

    plain = pair = 0.0
    for path in paths[:count]:
        started = time.process_time()
        read_video(path)
        plain += time.process_time() - started
        started = time.process_time()
        extract_pair(path)
        pair += time.process_time() - started
    print(f"\nExtraction cost on {min(count, len(paths))} clips, measured now: as filmed {plain:.1f} s, "
          f"as filmed and mirrored {pair:.1f} s of processor time: ratio {pair / max(plain, 1e-9):.2f}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--extract", action="store_true", help="read every push-up video (cached) first")
    parser.add_argument("--cost", type=int, default=0, help="measure the extraction cost on this many clips")
    args = parser.parse_args()
    groups = pushup_videos()
    if not groups["pushup_form"]:
        print(f"no pushup_form clips under {SHARED}", file=sys.stderr)
        return 1
    if args.extract:
        # videos/form's clips of every exercise too: benchmarks/coach_real.py coaches them
        form = sorted(p for p in (SHARED / "videos" / "form").glob("*") if p.suffix.lower() in (".mp4", ".avi"))
        paths = list(dict.fromkeys([p for v in groups.values() for p in v] + form))
        with progress_bar() as bar:
            task = bar.add_task("reading as filmed and mirrored", total=len(paths))
            for path in paths:
                read_pair(path)
                bar.advance(task)
    steadiness(groups)
    if args.cost:
        cost(groups["pushup_form"], args.cost)
    return 0


if __name__ == "__main__":
    sys.exit(main())

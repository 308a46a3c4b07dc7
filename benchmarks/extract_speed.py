"""End-to-end pose extraction speed (decode + MediaPipe) on a real video, and counting's share of it.

    python benchmarks/extract_speed.py [VIDEO]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from gyml.pose.readers.video import read_video, video_info
from gyml.reps.counter import count_reps

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "videos" / "uncounted" / "squat.mp4"


def main() -> int:
    video = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not video.exists():
        print(f"no video at {video}", file=sys.stderr)
        return 1
    fps, _, w, h = video_info(video)
    t0 = time.perf_counter()
    seq = read_video(video)
    extract = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(5):
        count_reps(seq)
    counting = (time.perf_counter() - t0) / 5
    print(f"{video.name}: {len(seq)} frames {w}x{h} at {fps:.2f} fps")
    print(f"extraction: {len(seq) / extract:.1f} frames/s end to end ({len(seq) / extract / fps:.2f}x real time)")
    print(f"counting:   {counting * 1000:.1f} ms = {100 * counting / extract:.2f}% of extraction time")
    return 0


if __name__ == "__main__":
    sys.exit(main())

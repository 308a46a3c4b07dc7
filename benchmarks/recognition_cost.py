"""What recognition adds to one `gyml analyze` of a video, the model's load included (a command line
analysis loads the 27 MB model once per process), measured against the same analysis without recognition
in the same run.

Each run is a fresh process that reads the video (extracting its poses, as `gyml analyze` does with a video
it has not seen; or, with `--cached`, from the pose cache the first run filled, as every command, the web
app and batch read a video seen before) and analyses it, in one of two ways:
- `without`: no model: the exercise is named and not looked at (recognition taken out; the baseline);
- `after`: the model is loaded when recognition first asks for it, after the poses are read (as
  `gyml analyze` does).
A third way, the model loaded in a background thread while the poses are read, was measured and dropped
(docs/recognition.md). The ways take turns within each repeat, so a busy spell of the machine falls on all of them alike.
Printed per video: median wall seconds of each way, and each way's excess over `without` as a share of it.

    python benchmarks/recognition_cost.py [--repeats 3] [--cached] [VIDEO ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "videos"
VIDEOS = [SHARED / "counted" / "dips__dips_13.mp4", SHARED / "uncounted" / "squat2.mp4"]
WAYS = ("without", "after")

# one analysis, timed from the first import of gyml to the result (the interpreter's own start left out)
RUN = r"""
import sys, time
t0 = time.perf_counter()
way, video, exercise, cached = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
from gyml import pipeline
from gyml.classify import default
from gyml.pose.readers import read_pose
if way == "without":
    pipeline._recognise = lambda seq, named, *a, **k: default.recognise(seq, named)
if cached:
    from gyml.pose.cache import cached_read_pose
    seq = cached_read_pose(video)
else:
    seq = read_pose(video)
result = pipeline.analyze_sequence(seq, video, exercise=exercise if way == "without" else None)
print(time.perf_counter() - t0, result.analysis.exercise.label if result.analysis.exercise else None)
"""


def one_run(way: str, video: Path, exercise: str, cache: Path, cached: bool) -> tuple[float, str]:
    env = dict(os.environ, GYML_CACHE=str(cache), GYML_HOME=str(cache / "home"))
    done = subprocess.run([sys.executable, "-c", RUN, way, str(video), exercise, "1" if cached else "0"], env=env,
                          capture_output=True, text=True, check=True)
    seconds, label = done.stdout.split()[-2:]
    return float(seconds), label


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("videos", nargs="*", type=Path, default=VIDEOS)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cached", action="store_true", help="poses read from the cache (filled by a first run)")
    args = ap.parse_args()
    missing = [v for v in args.videos if not v.exists()]
    if missing:
        print(f"missing: {', '.join(map(str, missing))} (../shared/data/videos is needed)")
        return 1
    for video in args.videos:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            # the recognised label names the exercise of the `without` runs (the same coaching in each way)
            _, label = one_run("after", video, "squat", root / "first", args.cached)
            times: dict[str, list[float]] = {w: [] for w in WAYS}
            for repeat in range(args.repeats):
                for way in WAYS:
                    cache = root / "first" if args.cached else root / f"{way}{repeat}"
                    seconds, _ = one_run(way, video, label, cache, args.cached)
                    times[way].append(seconds)
            base = statistics.median(times["without"])
            parts = [f"{w} {statistics.median(times[w]):.2f} s" +
                     ("" if w == "without" else f" (+{100 * (statistics.median(times[w]) - base) / base:.1f}%)")
                     for w in WAYS]
            source = "cached poses" if args.cached else "from the video"
            print(f"{video.name} ({label}, {source}, {args.repeats} repeats): " + ", ".join(parts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The real labelled data in ../shared for benchmarks: RepCount-pose dev sequences and the videos, each with
its exercise label in the catalog's names. Poses extracted from videos are cached by content hash
(gyml.pose.cache) so that benchmarks re-run in seconds."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from gyml.pose.cache import cached_read_pose
from gyml.pose.readers import read_pose
from gyml.pose.sequence import PoseSequence

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"

REPCOUNT_TYPES = {"squat": "squat", "squant": "squat", "push_up": "push_up", "pushups": "push_up",
                  "pull_up": "pull_up", "pullups": "pull_up", "situp": "sit_up", "jump_jack": "jumping_jack",
                  "jumpjacks": "jumping_jack", "bench_pressing": "bench_press", "benchpressing": "bench_press",
                  "front_raise": "front_raise", "frontraise": "front_raise"}
VIDEO_PREFIX = {"squat": "squat", "push": "push_up", "pull": "pull_up", "dips": "dip", "jumpingjack": "jumping_jack",
                "jacks": "jumping_jack", "plank": "plank", "russiantwist": "russian_twist"}


@dataclass
class RealSequence:
    name: str
    label: str
    source: str          # "repcount" or "video"
    seq: PoseSequence


# How videos are read: "as filmed" (read_pose, what gyml does by default), "mirrored" (each frame also
# read mirrored and the readings averaged: gyml/pose/mirror.py) or "smoothed" (as filmed, smoothed over
# time: the cheaper baseline). Benchmarks that compare readings set it (`--reading`).
VIDEO_READINGS = ("as filmed", "mirrored", "smoothed")
video_reading = "as filmed"


def cached_pose(path: Path) -> PoseSequence:
    """read_pose, memoised on disk for videos by content hash (MediaPipe takes seconds per clip)."""
    if video_reading != "smoothed":
        return cached_read_pose(path, mirrored_average=video_reading == "mirrored")
    from gyml.pose.mirror import read_pair, reading_to_sequence

    pair = read_pair(path)
    return reading_to_sequence(path, pair, smooth_over_time(pair.plain))


def smooth_over_time(reading, window: int = 7):
    """A reading (gyml.pose.mirror.Reading) with its world landmarks smoothed over time (Savitzky-Golay,
    order 2): the cheaper alternative to a second, mirrored reading, measured and rejected. Where a window
    holds a frame without the person, the frame keeps its own reading."""
    import numpy as np
    from scipy.signal import savgol_filter

    from gyml.pose.mirror import Reading

    world = np.asarray(reading.world, np.float64)
    if len(world) < window:
        return reading
    out = savgol_filter(world, window, 2, axis=0, mode="nearest")
    unknown = ~np.isfinite(out)
    out[unknown] = world[unknown]
    return Reading(out, reading.image, reading.visibility)


def repcount_sequences() -> list[RealSequence]:
    folder = SHARED / "repcount_pose" / "dev"
    out = []
    if not (folder / "labels.csv").exists():
        return out
    with open(folder / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        label = REPCOUNT_TYPES.get(r["type"])
        path = folder / r["name"].replace(".mp4", ".npy")
        if label and path.exists():
            out.append(RealSequence(path.stem, label, "repcount", read_pose(path)))
    return out


def video_label(path: Path) -> str | None:
    stem = path.name.lower()
    return next((v for k, v in VIDEO_PREFIX.items() if stem.startswith(k)), None)


def video_sequences() -> list[RealSequence]:
    out = []
    for video in sorted((SHARED / "videos").rglob("*")):
        if video.suffix.lower() not in (".mp4", ".avi"):
            continue
        label = video_label(video)
        if label:
            out.append(RealSequence(video.name, label, "video", cached_pose(video)))
    return out


def all_sequences() -> list[RealSequence]:
    return repcount_sequences() + video_sequences()


def seed_summary(labels, sources, preds: list) -> tuple[str, str]:
    """For out-of-fold predictions over several seeds: ("ucf101 mean (each seed) repcount ... all mean",
    "repcount recall per class, mean over seeds") -- the variant scripts' one-line comparison."""
    import numpy as np

    line = []
    for source in ("ucf101", "repcount"):
        inside = sources == source
        accs = [float(np.mean(p[inside] == labels[inside])) for p in preds]
        line.append(f"{source} {np.mean(accs):.3f} ({' '.join(f'{a:.3f}' for a in accs)})")
    line.append(f"all {np.mean([float(np.mean(p == labels)) for p in preds]):.3f}")
    inside = sources == "repcount"
    recalls = [f"{lab} {np.mean([np.mean(p[inside & (labels == lab)] == lab) for p in preds]):.2f}"
               for lab in sorted(set(labels[inside]))]
    return "  ".join(line), ", ".join(recalls)


def read_shared_recordings(keep=lambda recording: True) -> list | None:
    """(recording, pose sequence) of every labelled recording build_default trains on that `keep` accepts,
    read through the pose cache; the unreadable ones printed one line each. None when ../shared is absent."""
    import sys

    from gyml.classify.build_default import shared_recordings
    from gyml.classify.recordings import read_with_progress

    recordings = [r for r in shared_recordings() if keep(r)]
    if not recordings:
        print("no real data found (../shared/data)")
        return None
    read, problems = read_with_progress(recordings, sys.stderr.isatty())
    for line in problems:
        print(f"skipped {line}")
    return read


def run_synthesised_then_real(synthesised, real) -> int:
    """A benchmark's main: its synthesised part, then its part on ../shared's real data (skipped with
    `--no-real`)."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--no-real", action="store_true", help="only the synthesised part")
    args = parser.parse_args()
    synthesised()
    if not args.no_real:
        real()
    return 0


def source_of(path) -> str:
    """The ../shared/data folder a recording comes from, by its path."""
    text = str(path)
    for name in ("ucf101", "repcount_pose", "form", "counted", "uncounted"):
        if f"/{name}/" in text:
            return name
    return "other"

"""Poses extracted from a video, kept on disk under the video's content hash, so that no video is decoded
twice: not by a rerun, not by a second analysis of the same file under another name, not by training.

The key is the SHA-256 of the file's bytes plus the extractor's version; a cached entry is a gyml .npz
written atomically, so a crash never leaves a half-written entry that a later read would trust.
Pose files (.npz, .npy, .csv, pickles) are cheap to read and are never cached; the read options (`fps`,
`layout`) concern pose files only (a video carries its own rate), so they are no part of the key.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from gyml.errors import GymlError
from gyml.pose.sequence import PoseSequence

# Bump when video extraction changes what it produces (model, filtering, decoded size): old entries are ignored.
# v2: rotation, frame times, truncation checks, and following the moving person (readers/mover.py).
EXTRACTOR_VERSION = "mediapipe-0.10.14-c1-v2"
T = TypeVar("T")
_CHUNK = 1 << 20


def cache_dir() -> Path:
    """$GYML_CACHE, else $XDG_CACHE_HOME/gyml/poses (~/.cache/gyml/poses)."""
    explicit = os.environ.get("GYML_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "gyml" / "poses"


def content_key(path: str | os.PathLike) -> str:
    """SHA-256 of the file's bytes and the extractor version (hex)."""
    digest = hashlib.sha256(EXTRACTOR_VERSION.encode())
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def cached_path(path: str | os.PathLike, folder: Path | None = None) -> Path:
    return (folder or cache_dir()) / f"{content_key(path)}.npz"


def cached_read_pose(path: str | os.PathLike, *, fps: float | None = None, progress=None,
                     folder: Path | None = None, jobs: int = 1, mirrored_average: bool = False,
                     layout: str | None = None) -> PoseSequence:
    """`read_pose`, memoised on disk for videos. The returned sequence's metadata names the file read now.
    `fps` and `layout` are passed to the reading of a pose file (see `read_pose`); a video ignores them.
    `jobs` > 1 extracts a long video in overlapping spans in parallel (see readers/video_chunks.py).
    `mirrored_average`: each frame also read mirrored and the readings averaged (gyml/pose/mirror.py; one
    pass, cached under its own key)."""
    from gyml.pose.readers import read_pose, sniff_format

    path = Path(path)
    if sniff_format(path) != "video":
        return read_pose(path, fps=fps, progress=progress, layout=layout)
    if mirrored_average:
        from gyml.pose.mirror import read_video_mirrored

        return read_video_mirrored(path, progress=progress, folder=folder)
    def load(entry: Path) -> PoseSequence:
        seq = PoseSequence.load(entry)
        seq.metadata["file"] = path.name
        return seq

    return memoised(cached_path(path, folder), load, lambda: read_pose(path, fps=fps, progress=progress, jobs=jobs),
                    lambda seq, entry: seq.save(entry))


def memoised(entry: Path, load: Callable[[Path], T], make: Callable[[], T], save: Callable[[T, Path], None]) -> T:
    """`load(entry)` when the cache holds a readable entry, else `make()`, saved to `entry` for next time.
    A damaged entry (disk full, foreign file) is made again, never trusted; a read-only or full cache only
    costs making it again later."""
    if entry.exists():
        try:
            return load(entry)
        except GymlError:
            entry.unlink(missing_ok=True)
    value = make()
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        save(value, entry)
    except (OSError, GymlError):
        pass
    return value

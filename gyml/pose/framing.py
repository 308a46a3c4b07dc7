"""Tighter framings of a video, read again by the pose model: how MediaPipe sees a body cut by the frame.

A person filmed from the waist up, cut at the knees, or with the head leaving the top of the picture is
not read as the same body with parts missing: MediaPipe draws the whole body inside the picture anyway,
squashed and guessed. Recognition learns those readings from training videos re-read through such
framings (gyml.classify.build_default), and benchmarks/classify_messy.py measures them.

The framing is placed from the full picture's landmarks, so it cuts each video at its own body: the
picture ends a little below the standing hips ("waist_up"), at the knees ("knees_up"), or starts a
quarter of a trunk above the shoulders ("head_cut").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gyml.pose.sequence import PoseSequence

FRAMINGS = ("waist_up", "knees_up", "head_cut")
# MediaPipe's landmarks: shoulders, hips, knees (left, right)
_SHOULDERS, _HIPS, _KNEES = (11, 12), (23, 24), (25, 26)
MIN_ROWS = 0.2   # a framing that keeps less of the picture's height than this is not read


def framing_rows(image_landmarks: np.ndarray, framing: str) -> tuple[float, float] | None:
    """The picture rows (top, bottom; normalised) that `framing` keeps, from the full picture's landmarks
    (T, 33, 2): standing-height hips and knees (their highest quarter of frames), median shoulders. None
    when the landmarks are too few or the framing keeps too little."""
    if framing not in FRAMINGS:
        raise ValueError(f"unknown framing {framing!r}; one of {', '.join(FRAMINGS)}")
    y = np.asarray(image_landmarks, dtype=np.float64)[..., 1]
    seen = np.isfinite(y).all(axis=1)
    if seen.sum() < 5:
        return None
    y = y[seen]
    shoulders = float(np.median(y[:, _SHOULDERS]))
    hips = float(np.percentile(y[:, _HIPS].mean(axis=1), 25))
    knees = float(np.percentile(y[:, _KNEES].mean(axis=1), 25))
    trunk = abs(hips - shoulders)
    if framing == "waist_up":
        rows = (0.0, min(1.0, hips + 0.15 * trunk))
    elif framing == "knees_up":
        rows = (0.0, min(1.0, knees))
    else:
        rows = (max(0.0, shoulders - 0.25 * trunk), 1.0)
    return rows if rows[1] - rows[0] >= MIN_ROWS else None


def _cache_entry(video: Path, framing: str, folder: Path | None) -> Path:
    from gyml.pose.cache import cache_dir, content_key

    return (folder or cache_dir() / "framings") / f"{content_key(video)}.{framing}.npz"


def reframed_pose(video: str | Path, seq: PoseSequence, framing: str, folder: Path | None = None
                  ) -> PoseSequence | None:
    """`video` read again by the pose model from frames cut to `framing` (placed by `seq`, the video's
    own full-picture poses), cached beside the pose cache; None when the framing cannot be placed or
    nobody is found in it (remembered too, so it is not tried again)."""
    from gyml.pose.readers.mediapipe_landmarks import landmarks_to_sequence
    from gyml.pose.readers.mover import extract_cropped, video_frame_size

    video = Path(video)
    entry = _cache_entry(video, framing, folder)
    nobody = entry.with_suffix(".none")
    if entry.is_file():
        return PoseSequence.load(entry)
    if nobody.is_file() or seq.image_landmarks is None:
        return None
    rows = framing_rows(seq.image_landmarks, framing)
    out = None
    if rows is not None:
        width, height = video_frame_size(video)
        poses = extract_cropped(video, (0, int(rows[0] * height), width, int(np.ceil(rows[1] * height))),
                                 (width, height))
        if np.isfinite(poses.world).all(axis=(1, 2)).any():
            out = landmarks_to_sequence(poses.world, poses.visibility, seq.fps, seq.source,
                                        image_landmarks=poses.image,
                                        metadata={**seq.metadata, "framing": framing, "framing_rows": list(rows)})
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        if out is not None:
            out.save(entry)
        else:
            nobody.touch()
    except OSError:
        pass  # a read-only or full cache only costs a later re-extraction
    return out

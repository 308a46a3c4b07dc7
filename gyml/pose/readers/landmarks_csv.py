"""CSV files of MediaPipe landmarks.

Two layouts are read:
- wide: one row per frame, 33 x (x, y, z) or 33 x (x, y, z, visibility) numeric columns, optionally
  after a `frame` or `time` column; other keypoint layouts the same way (K x 3 or K x 4 columns, see
  gyml.pose.layouts; `layout` names it when the column count fits several);
- long: one row per landmark with columns `frame`, `landmark` (0-32), `x`, `y`, `z` and optionally
  `visibility`.
Empty cells or a frame without landmarks mean nobody was found in that frame.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from gyml.errors import GymlError
from gyml.pose.layouts import (
    LAYOUT_HELP,
    get_layout,
    keypoint_counts,
    keypoints_to_sequence,
    layout_mismatch,
    resolve_layout,
)
from gyml.pose.readers.mediapipe_landmarks import NUM_LANDMARKS, landmarks_to_sequence
from gyml.pose.sequence import PoseSequence
from gyml.validate import check_frame_count

# Long layout: a span of frames may be this many times the frames that have rows (or MAX_EMPTY_SPAN frames,
# 10 minutes at 30 fps, whichever is more).
GAP_FACTOR = 20
MAX_EMPTY_SPAN = 18_000


def _float(cell: str) -> float:
    cell = cell.strip()
    return float(cell) if cell else np.nan


def read_landmarks_csv(path: Path, fps: float = 30.0, layout: str | None = None) -> PoseSequence:
    try:
        # utf-8-sig: a spreadsheet's "CSV UTF-8" starts with a byte-order mark that would join the first name
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GymlError(f"{path.name}: cannot read CSV ({exc})") from None
    if len(rows) < 2:
        raise GymlError(f"{path.name}: CSV has no data rows")
    if len(rows[0]) == 1 and rows[0][0].count(";") >= 2:
        raise GymlError(f"{path.name}: the values are separated by ';' - gyml reads comma-separated CSV "
                        "(save it with ',' between values)")
    header = [h.strip().lower() for h in rows[0]]
    try:
        if {"frame", "landmark", "x", "y", "z"} <= set(header):
            points, vis = _long(header, rows[1:])
        else:
            points, vis = _wide(header, rows[1:], path.name, layout)
    except (ValueError, OverflowError) as exc:
        raise GymlError(f"{path.name}: CSV holds a value that is not a number ({str(exc)[:120]})") from None
    if points.shape[1] != NUM_LANDMARKS or (layout and get_layout(layout).name != "mediapipe33"):
        chosen = resolve_layout(points.shape[1], layout, path.name)
        return keypoints_to_sequence(points, vis, chosen, fps, "csv", metadata={"file": path.name})
    return landmarks_to_sequence(points, vis, fps, "csv", metadata={"file": path.name, "layout": "mediapipe33"})


def _wide(header: list[str], rows: list[list[str]], name: str = "CSV", layout: str | None = None):
    skip = 1 if header and header[0] in {"frame", "time", "t", "index", ""} else 0
    width = len(header) - skip
    per, count = _points_per_row(width, header[skip:], layout)
    if per == 0 and layout:
        raise layout_mismatch(get_layout(layout), name, values=width)
    if per == 0:
        raise GymlError(f"{name}: {width} keypoint columns fit no known layout; expected 33 MediaPipe landmarks "
                        f"x (x, y, z[, visibility]), K x 3 or K x 4 for a layout with K keypoints ({LAYOUT_HELP}), "
                        "or the long layout frame,landmark,x,y,z[,visibility]")
    values = np.array([[_float(c) for c in r[skip:skip + width]] + [np.nan] * (width - len(r[skip:]))
                       for r in rows], dtype=np.float64).reshape(len(rows), count, per)
    vis = values[..., 3] if per == 4 else None
    return values[..., :3], vis


def _points_per_row(width: int, columns: list[str], layout: str | None) -> tuple[int, int]:
    """(values per keypoint, keypoints per row) for `width` numeric columns, or (0, 0)."""
    if layout:
        count = get_layout(layout).count
        return next(((per, count) for per in (3, 4) if width == per * count), (0, 0))
    # A header like x0,y0,z0,v0 or x,y,z,c repeating every 4 columns tells 4; else 3 unless only 4 fits.
    fourth = [c for c in columns[3::4] if c]
    says_four = bool(fourth) and all(c[:1] in {"v", "c", "s", "p"} for c in fourth)
    options = [(per, width // per) for per in ((4, 3) if says_four else (3, 4)) if width % per == 0
               and width // per in keypoint_counts()]
    return options[0] if options else (0, 0)


def _long(header: list[str], rows: list[list[str]]):
    col = {name: header.index(name) for name in ("frame", "landmark", "x", "y", "z")}
    vis_col = header.index("visibility") if "visibility" in header else None
    needed = max([*col.values(), vis_col if vis_col is not None else 0])
    if any(len(r) <= needed for r in rows):
        raise GymlError("CSV row with fewer cells than the header names")
    frames = [int(float(r[col["frame"]])) for r in rows]
    first, last = min(frames), max(frames)
    # Frames without rows are frames where nobody was found; the span they open is bounded by the rows that
    # are there, so a frame index alone cannot make us allocate (frame 5,000,000 after frame 0).
    described = len(set(frames))
    span = last - first + 1
    if span > max(MAX_EMPTY_SPAN, GAP_FACTOR * described):
        raise GymlError(f"CSV frames run from {first} to {last} but only {described} of them have landmarks: "
                        "frame indices look wrong")
    check_frame_count(span, "the CSV")
    points = np.full((last - first + 1, NUM_LANDMARKS, 3), np.nan)
    vis = np.ones((last - first + 1, NUM_LANDMARKS))
    for frame, r in zip(frames, rows):
        k = int(float(r[col["landmark"]]))
        if not 0 <= k < NUM_LANDMARKS:
            raise GymlError(f"CSV landmark index {k} is outside 0..32")
        points[frame - first, k] = [_float(r[col[c]]) for c in ("x", "y", "z")]
        if vis_col is not None:
            vis[frame - first, k] = _float(r[vis_col])
    return points, vis

"""3D keypoint arrays in the common layouts (COCO-17, Human3.6M-17, OpenPose BODY-18/25, NTU-25,
MediaPipe-33) from .npy and .json files.

.npy: (T, K, 3) or (T, K, 4) (the 4th value a confidence), or (T, K*3) / (T, K*4) flattened; a (T, 104)
array is a RepCount-pose file and goes to its own reader.
.json: a list of frames, or {"keypoints": frames, "fps": ..., "layout": ...}; a frame is a list of
[x, y, z(, c)] points, a flat list, or an OpenPose frame {"people": [{"pose_keypoints_3d": [...]}]}
(the first person; x, y, z, c per keypoint). An empty frame means nobody was found.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gyml.errors import GymlError
from gyml.pose.bounded_npy import load_npy
from gyml.pose.layouts import (
    LAYOUT_HELP,
    get_layout,
    keypoint_counts,
    keypoints_to_sequence,
    layout_mismatch,
    resolve_layout,
)
from gyml.pose.readers import ASSUMED_FPS
from gyml.pose.sequence import PoseSequence

REPCOUNT_WIDTH = 104


def read_npy(path: Path, fps: float = 30.0, layout: str | None = None) -> PoseSequence:
    data = load_npy(path)  # bounded by the file's size, whatever its header claims
    if data.ndim == 2 and data.shape[1] == REPCOUNT_WIDTH and not layout:
        from gyml.pose.readers.repcount import read_repcount_npy
        return read_repcount_npy(path, fps=fps)
    if not np.issubdtype(data.dtype, np.number) or data.ndim == 0 or len(data) == 0:
        raise GymlError(f"{path.name}: expected a numeric (T, K, 3) keypoint array, got {data.dtype} {data.shape}")
    with np.errstate(all="ignore"):  # casts of NaN/inf/out-of-range values: they become unknown joints
        points, conf = _split(data.astype(np.float64), path.name, layout)
        return _to_sequence(points, conf, path.name, fps, layout)


def read_keypoints_json(path: Path, fps: float | None = None, layout: str | None = None) -> PoseSequence:
    try:
        obj = json.loads(path.read_text(encoding="utf-8-sig"))   # a byte-order mark is not JSON's
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise GymlError(f"{path.name}: cannot read JSON ({type(exc).__name__}: {str(exc)[:160]})") from None
    frames = obj
    if isinstance(obj, dict):
        if "people" in obj:
            frames = [obj]
        else:
            key = next((k for k in ("keypoints", "poses", "joints", "frames") if k in obj), None)
            if key is None:
                raise GymlError(f"{path.name}: JSON without keypoints (expected a list of frames or a "
                                "'keypoints' list)")
            frames = obj[key]
            fps = fps or _number(obj.get("fps"))
            layout = layout or obj.get("layout")
    if not isinstance(frames, list) or not frames:
        raise GymlError(f"{path.name}: JSON holds no frames of keypoints")
    rows = [_frame_values(frame, path.name) for frame in frames]
    width = max((len(r) for r in rows), default=0)
    if width == 0:
        raise GymlError(f"{path.name}: no person found in any frame")
    data = np.full((len(rows), width), np.nan)
    for i, r in enumerate(rows):
        data[i, :len(r)] = r
    points, conf = _split(data, path.name, layout)
    seq = _to_sequence(points, conf, path.name, fps or ASSUMED_FPS, layout)
    if fps is None:  # neither given nor stored in the file
        seq.metadata["fps_assumed"] = True
    return seq


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def _frame_values(frame, name: str) -> list[float]:
    """One frame as a flat list of numbers ([] = nobody)."""
    if isinstance(frame, dict):
        people = frame.get("people", [])
        if not people:
            return []
        person = people[0]
        frame = person.get("pose_keypoints_3d") or person.get("keypoints") or []
    flat = np.asarray(frame, dtype=object).ravel().tolist() if frame else []
    try:
        return [np.nan if v is None else float(v) for v in flat]
    except (TypeError, ValueError):
        raise GymlError(f"{name}: a frame holds something that is not a number") from None


def _split(data: np.ndarray, name: str, layout: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Numbers -> (T, K, 3) points and (T, K) confidence (None when the file has none)."""
    if data.ndim == 3 and data.shape[2] in (3, 4):
        per, count = data.shape[2], data.shape[1]
    elif data.ndim == 2:
        width = data.shape[1]
        if layout:
            named = get_layout(layout)
            count = named.count
            per = next((p for p in (3, 4) if width == p * count), 0)
            if per == 0:
                raise layout_mismatch(named, name, values=width)
        else:
            fits = [(p, width // p) for p in (3, 4) if width % p == 0 and width // p in keypoint_counts()]
            per, count = fits[0] if fits else (0, 0)
        if per == 0:
            raise GymlError(f"{name}: {width} values per frame fit no known keypoint layout "
                            f"(K x 3 or K x 4 for {LAYOUT_HELP}); give --layout NAME")
        data = data.reshape(len(data), count, per)
    else:
        raise GymlError(f"{name}: expected (frames, keypoints, 3) keypoints, got shape {data.shape}")
    return data[..., :3], (data[..., 3] if per == 4 else None)


def _to_sequence(points, conf, name: str, fps: float, layout: str | None) -> PoseSequence:
    chosen = resolve_layout(points.shape[1], layout, name)
    return keypoints_to_sequence(points, conf, chosen, fps, "keypoints", metadata={"file": name})

"""RepCount-pose `.npy` files: (T, 104) = 33 MediaPipe landmarks x (x, y, z) + 5 joint angles."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gyml.errors import GymlError
from gyml.pose.readers.mediapipe_landmarks import NUM_LANDMARKS, landmarks_to_sequence
from gyml.pose.sequence import PoseSequence


def read_repcount_npy(path: Path, fps: float = 30.0) -> PoseSequence:
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise GymlError(f"{path.name}: cannot read .npy ({exc})") from None
    if data.ndim != 2 or data.shape[1] < NUM_LANDMARKS * 3 or len(data) == 0:
        raise GymlError(f"{path.name}: expected a (T, 104) RepCount-pose array, got shape {data.shape}")
    data = data.astype(np.float64)
    if np.isnan(data).all():
        raise GymlError(f"{path.name}: every value is NaN")
    points = data[:, : NUM_LANDMARKS * 3].reshape(-1, NUM_LANDMARKS, 3)
    # Frames where MediaPipe found nobody are stored as all zeros.
    empty = ~np.isfinite(points).all(axis=(1, 2)) | (np.abs(points).sum(axis=(1, 2)) == 0)
    points[empty] = np.nan
    image = points[..., :2].astype(np.float32)
    # Image coordinates are fractions of the frame; their scale is not metric, but every later stage
    # normalises by the body's own size.
    return landmarks_to_sequence(points, None, fps, "repcount", image_landmarks=image,
                                 metadata={"file": path.name})

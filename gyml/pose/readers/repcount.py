"""RepCount-pose `.npy` files: (T, 104) = 33 MediaPipe landmarks x (x, y, z) + 5 joint angles."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gyml.errors import GymlError
from gyml.pose.axis_scales import restore_axis_scales
from gyml.pose.bounded_npy import load_npy
from gyml.pose.readers.mediapipe_landmarks import NUM_LANDMARKS, landmarks_to_sequence
from gyml.pose.sequence import PoseSequence

# Restored joints come out in torso lengths; scaling by a typical neck-to-pelvis distance keeps them metre-like.
REFERENCE_TORSO_M = 0.5
# Of gyml.pose.axis_scales' two fits, "size_fixed" restores the body of RepCount-like twins better, but read
# through it RepCount dev was recognised and counted worse (0.855 -> 0.761, MAE 0.222 -> 0.296): the model
# and the counter keep the fit they were built on.
AXIS_FIT = "y_fixed"


def read_repcount_npy(path: Path, fps: float = 30.0) -> PoseSequence:
    data = load_npy(path)
    if data.ndim != 2 or data.shape[1] < NUM_LANDMARKS * 3 or len(data) == 0:
        raise GymlError(f"{path.name}: expected a (T, 104) RepCount-pose array, got shape {data.shape}")
    if not np.issubdtype(data.dtype, np.number) or np.iscomplexobj(data):
        raise GymlError(f"{path.name}: expected real numbers, got {data.dtype} values")
    data = data.astype(np.float64)
    if np.isnan(data).all():
        raise GymlError(f"{path.name}: every value is NaN")
    points = data[:, : NUM_LANDMARKS * 3].reshape(-1, NUM_LANDMARKS, 3)
    return normalised_landmarks_to_sequence(points, fps, {"file": path.name})


def normalised_landmarks_to_sequence(points: np.ndarray, fps: float, metadata: dict | None = None) -> PoseSequence:
    """(T, 33, 3) MediaPipe image landmarks, each frame min-max normalised per axis (RepCount-pose's
    sensor) -> PoseSequence with the body's proportions restored. The one read path for RepCount files and
    for their twins made from other poses (gyml.pose.sensor_twin)."""
    points = np.array(points, dtype=np.float64)
    # Frames where MediaPipe found nobody are stored as all zeros.
    empty = ~np.isfinite(points).all(axis=(1, 2)) | (points == 0).all(axis=(1, 2))
    points[empty] = np.nan
    with np.errstate(over="ignore", invalid="ignore"):  # a value beyond float32 becomes inf: unknown
        image = points[..., :2].astype(np.float32)
    seq = landmarks_to_sequence(points, None, fps, "repcount", image_landmarks=image,
                                metadata={**(metadata or {}), "axis_scales_restored": True})
    # Each frame was min-max normalised per axis, which bends every angle; restore the body's proportions.
    present = seq.present
    if present.any():
        seq.joints[present] = restore_axis_scales(seq.joints[present], fit=AXIS_FIT) * REFERENCE_TORSO_M
    return seq

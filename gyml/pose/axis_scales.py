"""Undo per-axis normalisation of keypoints.

Some datasets (RepCount-pose among them) store each frame's landmarks min-max normalised per axis: x, y and
z are each stretched to [0, 1] independently, which bends every joint angle (a standing person becomes as
wide as tall). The body itself tells us the lost aspect: human segment lengths keep known proportions, so for
each frame we find the axis scales (sx, sy = 1, sz) and a body scale c that make the bone lengths agree,

    sx^2 dx^2 + dy^2 + sz^2 dz^2 = c L^2    for every bone (dx, dy, dz) with reference length L,

which is linear in (sx^2, sz^2, c) and solved with non-negative least squares.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter
from scipy.optimize import nnls

from gyml.pose.skeleton import JOINT

# Segment lengths relative to the neck-pelvis distance, medians measured on MediaPipe world landmarks of
# real exercise videos (benchmarks' video set).
BONE_RATIOS = {
    ("left_shoulder", "right_shoulder"): 0.69, ("left_hip", "right_hip"): 0.45, ("neck", "pelvis"): 1.0,
    ("left_shoulder", "left_elbow"): 0.49, ("right_shoulder", "right_elbow"): 0.49,
    ("left_elbow", "left_wrist"): 0.48, ("right_elbow", "right_wrist"): 0.48,
    ("left_hip", "left_knee"): 0.81, ("right_hip", "right_knee"): 0.81,
    ("left_knee", "left_ankle"): 0.78, ("right_knee", "right_ankle"): 0.78,
}
_A = np.array([JOINT[a] for a, _ in BONE_RATIOS])
_B = np.array([JOINT[b] for _, b in BONE_RATIOS])
_L2 = np.array(list(BONE_RATIOS.values())) ** 2


def axis_scales(joints: np.ndarray, smooth_frames: int = 15) -> np.ndarray:
    """(T, 3) per-frame scales (sx, sy, sz) that restore body proportions, in torso lengths.

    Frames with missing joints get their neighbours' scales; scales are median-filtered over time because
    the normalisation changes slowly while the per-frame fit is noisy.
    """
    j = np.asarray(joints, dtype=np.float64)
    d2 = (j[:, _A] - j[:, _B]) ** 2                                   # (T, bones, 3)
    scales = np.full((len(j), 3), np.nan)
    design_l = -_L2
    for t in range(len(j)):
        if not np.isfinite(d2[t]).all():
            continue
        design = np.column_stack([d2[t, :, 0], d2[t, :, 2], design_l])
        # Move dy^2 to the right: sx^2 dx^2 + sz^2 dz^2 - c L^2 = -dy^2.
        x, _ = nnls(design, -d2[t, :, 1])
        sx2, sz2, c = x
        if c <= 1e-12:
            continue
        scales[t] = np.sqrt([sx2 / c, 1.0 / c, sz2 / c])
    ok = np.isfinite(scales).all(axis=1)
    if not ok.any():
        return np.ones((len(j), 3))
    idx = np.arange(len(j))
    for a in range(3):
        scales[:, a] = np.interp(idx, idx[ok], scales[ok, a])
    if smooth_frames > 1:
        scales = np.exp(median_filter(np.log(np.maximum(scales, 1e-9)), size=(smooth_frames, 1), mode="nearest"))
    return scales


def restore_axis_scales(joints: np.ndarray, smooth_frames: int = 15) -> np.ndarray:
    """Joints with each frame's per-axis stretch undone, in units of the torso length (neck to pelvis)."""
    j = np.asarray(joints, dtype=np.float64)
    centred = j - np.nanmean(j, axis=1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):  # beyond float32: inf, made unknown by PoseSequence
        return (centred * axis_scales(j, smooth_frames)[:, None, :]).astype(np.float32)

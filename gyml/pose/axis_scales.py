"""Undo per-axis normalisation of keypoints.

Some datasets (RepCount-pose among them) store each frame's landmarks min-max normalised per axis: x, y and
z are each stretched to [0, 1] independently, which bends every joint angle (a standing person becomes as
wide as tall). The body itself tells us the lost aspect: human segment lengths keep known proportions, so for
each frame we find the axis scales that make the bone lengths agree. Two fits (`fit=`):

- "y_fixed" (the RepCount read path's): y's scale fixed to 1 and a body scale c unknown,

      sx^2 dx^2 + dy^2 + sz^2 dz^2 = c L^2    for every bone (dx, dy, dz) with reference length L,

  linear in (sx^2, sz^2, c), solved per frame with non-negative least squares, unweighted.
- "size_fixed": the body's size fixed instead (L in torso lengths), u_x dx^2 + u_y dy^2 + u_z dz^2 = L^2,
  each bone's equation divided by L; then refitted twice with the reference lengths moved halfway
  (geometrically) to the recording's own restored bone lengths. With y fixed, a body lying along x or z
  lets c collapse towards zero and the other scales blow up; fixing the size keeps the fit well posed.

On RepCount-like twins of 339 real video recordings, whose bodies before the normalisation are known
(benchmarks/axis_restore_twins.py), "size_fixed" restores the body better: mean trunk error as filmed
2.75 -> 2.66 degrees, with a detector's depth noise 7.0 -> 4.4, with the picture turned 10-90 degrees 15.4
-> 4.7 (frames off by more than 30 degrees 19 % -> 0.2 %), joint angles 0.3-5 degrees closer. Yet through
it RepCount-pose dev's recognition fell from 0.855 to 0.761 and its rep counting from MAE 0.222 to 0.296
(the model and counter retrained/re-run on it; docs/lab-notes/recog.md, round 8), so the read path keeps
"y_fixed".
"""

from __future__ import annotations

import warnings

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
_TORSO = list(BONE_RATIOS).index(("neck", "pelvis"))
OWN_PROPORTION_PASSES = 3
MIN_BONES = 6            # three unknowns; fewer bones leave a frame to its neighbours' scales


def _size_fixed_squared_scales(d2: np.ndarray, ref_l2: np.ndarray) -> np.ndarray:
    """(T, 3) per-frame squared scales from (T, bones, 3) squared stored bone components, fitted on the
    bones the frame has; NaN where fewer than MIN_BONES are known or nothing fits."""
    weight = 1.0 / np.sqrt(ref_l2)                                     # each bone's residual over its length
    rhs = ref_l2 * weight
    known = np.isfinite(d2).all(axis=2)
    out = np.full((len(d2), 3), np.nan)
    for t in np.flatnonzero(known.sum(axis=1) >= MIN_BONES):
        bones = known[t]
        x, _ = nnls(d2[t, bones] * weight[bones, None], rhs[bones])
        if x.max() > 0:
            out[t] = x
    return out


def _smoothed_scales(squared: np.ndarray, smooth_frames: int) -> np.ndarray:
    ok = np.isfinite(squared).all(axis=1)
    if not ok.any():
        return np.ones((len(squared), 3))
    scales = np.empty((len(squared), 3))
    idx = np.arange(len(squared))
    for a in range(3):
        scales[:, a] = np.interp(idx, idx[ok], np.sqrt(squared[ok, a]))
    if smooth_frames > 1:
        scales = np.exp(median_filter(np.log(np.maximum(scales, 1e-9)), size=(smooth_frames, 1), mode="nearest"))
    return scales


def _y_fixed_squared_scales(d2: np.ndarray) -> np.ndarray:
    out = np.full((len(d2), 3), np.nan)
    for t in np.flatnonzero(np.isfinite(d2).all(axis=(1, 2))):
        # Move dy^2 to the right: sx^2 dx^2 + sz^2 dz^2 - c L^2 = -dy^2.
        (sx2, sz2, c), _ = nnls(np.column_stack([d2[t, :, 0], d2[t, :, 2], -_L2]), -d2[t, :, 1])
        if c > 1e-12:
            out[t] = [sx2 / c, 1.0 / c, sz2 / c]
    return out


FITS = ("y_fixed", "size_fixed")


def axis_scales(joints: np.ndarray, smooth_frames: int = 15, fit: str = "y_fixed") -> np.ndarray:
    """(T, 3) per-frame scales (sx, sy, sz) that restore body proportions, in torso lengths.

    Frames with missing joints get their neighbours' scales; scales are median-filtered over time because
    the normalisation changes slowly while the per-frame fit is noisy.
    """
    if fit not in FITS:
        raise ValueError(f"fit must be one of {FITS}, got {fit!r}")
    j = np.asarray(joints, dtype=np.float64)
    d2 = (j[:, _A] - j[:, _B]) ** 2                                   # (T, bones, 3)
    if fit == "y_fixed":
        return _smoothed_scales(_y_fixed_squared_scales(d2), smooth_frames)
    ref = _L2
    scales = np.ones((len(j), 3))
    for _ in range(OWN_PROPORTION_PASSES):
        scales = _smoothed_scales(_size_fixed_squared_scales(d2, ref), smooth_frames)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)              # a bone missing in every frame
            own = np.nanmedian((d2 * scales[:, None, :] ** 2).sum(axis=2), axis=0)
        if not (np.isfinite(own).all() and own[_TORSO] > 0):
            break
        ref = np.sqrt(_L2 * own / own[_TORSO])
    return scales


def restore_axis_scales(joints: np.ndarray, smooth_frames: int = 15, fit: str = "y_fixed") -> np.ndarray:
    """Joints with each frame's per-axis stretch undone, in units of the torso length (neck to pelvis)."""
    j = np.asarray(joints, dtype=np.float64)
    centred = j - np.nanmean(j, axis=1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):  # beyond float32: inf, made unknown by PoseSequence
        return (centred * axis_scales(j, smooth_frames, fit)[:, None, :]).astype(np.float32)

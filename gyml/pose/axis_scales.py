"""Undo per-axis normalisation of keypoints.

Some datasets (RepCount-pose among them) store each frame's landmarks min-max normalised per axis: x, y and
z are each stretched to [0, 1] independently, which bends every joint angle (a standing person becomes as
wide as tall). The body itself tells us the lost aspect: human segment lengths keep known proportions, so for
each frame we find the squared axis scales (u_x, u_y, u_z), in torso lengths per stored unit, that make the
bone lengths agree,

    u_x dx^2 + u_y dy^2 + u_z dz^2 = L^2    for every bone (dx, dy, dz) with reference length L,

linear in the scales and solved with non-negative least squares, each bone's equation divided by L (so a
thigh does not outvote a hip width four to one, nor the reverse).

Fixing the body's size (L in torso lengths) rather than one axis's scale keeps the fit well posed when an
axis is thin: the earlier form (y's scale fixed, the body's size unknown) let the size collapse towards
zero when the body lay along x or z, and the other scales blew up (15 % of the frames' trunks off by more than
30 degrees on tilted twins of real videos, benchmarks/axis_restore_twins.py). And a person's proportions
are their own: after a first fit the reference lengths move halfway (geometrically) to the recording's
restored median bone lengths, and the fit is repeated; twice, which settles them.
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


def _squared_scales(d2: np.ndarray, ref_l2: np.ndarray) -> np.ndarray:
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


def axis_scales(joints: np.ndarray, smooth_frames: int = 15) -> np.ndarray:
    """(T, 3) per-frame scales (sx, sy, sz) that restore body proportions, in torso lengths.

    Frames with missing joints get their neighbours' scales; scales are median-filtered over time because
    the normalisation changes slowly while the per-frame fit is noisy.
    """
    j = np.asarray(joints, dtype=np.float64)
    d2 = (j[:, _A] - j[:, _B]) ** 2                                   # (T, bones, 3)
    ref = _L2
    scales = np.ones((len(j), 3))
    for _ in range(OWN_PROPORTION_PASSES):
        scales = _smoothed_scales(_squared_scales(d2, ref), smooth_frames)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)              # a bone missing in every frame
            own = np.nanmedian((d2 * scales[:, None, :] ** 2).sum(axis=2), axis=0)
        if not (np.isfinite(own).all() and own[_TORSO] > 0):
            break
        ref = np.sqrt(_L2 * own / own[_TORSO])
    return scales


def restore_axis_scales(joints: np.ndarray, smooth_frames: int = 15) -> np.ndarray:
    """Joints with each frame's per-axis stretch undone, in units of the torso length (neck to pelvis)."""
    j = np.asarray(joints, dtype=np.float64)
    centred = j - np.nanmean(j, axis=1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):  # beyond float32: inf, made unknown by PoseSequence
        return (centred * axis_scales(j, smooth_frames)[:, None, :]).astype(np.float32)

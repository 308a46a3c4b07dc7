"""Sequence-level features for classification.

- ``paper``: GyML's features: each sequence's (T, 72) SMPL pose flattened and zero-padded to the
  longest sequence (depends on length and start phase; kept to reproduce the paper).
- ``angles``: joint-angle statistics over the active part of the set that do not depend on sequence length,
  start phase, camera position or body size, and exist for every source (SMPL, MediaPipe video, NTU
  keypoints) alike.
- ``rep_curve``: the mean rep: every counted rep's joint angles resampled to 32 phase steps (start to
  end) and averaged, so the shape of the movement is kept while length, rep count and start phase drop
  out.
"""

from __future__ import annotations

import numpy as np

from gyml.errors import GymlError
from gyml.pose.kinematics import Kinematics
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import ANGLE_NAMES

FEATURE_SETS = ("paper", "angles", "rep_curve")
REP_STEPS = 32
_PAIRS = [("left_knee_flexion", "right_knee_flexion"), ("left_elbow_flexion", "right_elbow_flexion"),
          ("left_shoulder_elevation", "right_shoulder_elevation"), ("left_hip_flexion", "right_hip_flexion")]
_STATS = ("mean", "std", "p10", "p90", "speed")


def angle_feature_names() -> list[str]:
    names = [f"{a}:{s}" for a in ANGLE_NAMES for s in _STATS]
    names += [f"corr:{a}~{b}" for a, b in _PAIRS]
    return names


def active_window(seq: PoseSequence, kinematics: Kinematics | None = None, reps=None) -> PoseSequence:
    """The part of a recording where the set happens: first rep start to last rep end. Idle frames
    (walking up, adjusting, leaving) otherwise dominate the statistics of short sets. `reps`: the
    default counter's count of `seq`, when it was already made."""
    from gyml.reps.counter import count_reps
    counted = reps if reps is not None else count_reps(seq, kinematics=kinematics)
    if counted.count < 2:
        return seq
    return seq.slice(counted.segments[0].start, counted.segments[-1].end + 1)


def angle_features(seq: PoseSequence, kinematics: Kinematics | None = None, reps=None) -> np.ndarray:
    """Statistics of the joint angles over the set's active window (`reps`: the default counter's count
    of `seq`, when it was already made)."""
    kinematics = Kinematics.of(seq, kinematics)
    window = active_window(seq, kinematics, reps)
    # a window's angles are its own: body size is measured over the frames at hand
    angles = kinematics.angles if window is seq else Kinematics(window).angles
    speed = np.abs(np.diff(angles, axis=0)).mean(axis=0) * seq.fps if len(angles) > 1 else np.zeros(angles.shape[1])
    stats = np.stack([angles.mean(0), angles.std(0), np.percentile(angles, 10, axis=0),
                      np.percentile(angles, 90, axis=0), speed], axis=1).reshape(-1)
    corr = []
    for a, b in _PAIRS:
        x, y = angles[:, ANGLE_NAMES.index(a)], angles[:, ANGLE_NAMES.index(b)]
        corr.append(float(np.corrcoef(x, y)[0, 1]) if x.std() > 1e-6 and y.std() > 1e-6 else 0.0)
    return np.nan_to_num(np.concatenate([stats, corr])).astype(np.float32)


def rep_curve_features(seq: PoseSequence, steps: int = REP_STEPS, kinematics: Kinematics | None = None,
                       reps=None) -> np.ndarray:
    """(steps * angles,) the average of the set's reps, each resampled to `steps` phase points."""
    from gyml.reps.counter import count_reps
    kinematics = Kinematics.of(seq, kinematics)
    angles = kinematics.angles
    counted = reps if reps is not None else count_reps(seq, kinematics=kinematics)
    segments = [(s.start, s.end) for s in counted.segments if s.end > s.start]
    if not segments:
        segments = [(0, len(seq) - 1)]
    phase = np.linspace(0.0, 1.0, steps)
    curves = []
    for start, end in segments:
        t = np.linspace(0.0, 1.0, end - start + 1)
        piece = angles[start:end + 1]
        curves.append(np.stack([np.interp(phase, t, piece[:, k]) for k in range(piece.shape[1])], axis=1))
    return np.nan_to_num(np.mean(curves, axis=0).reshape(-1)).astype(np.float32)


def paper_vector(seq: PoseSequence) -> np.ndarray:
    if seq.smpl_pose is None:
        raise GymlError("the paper's features need SMPL parameters (FLAG3D or PHALP input)")
    return seq.smpl_pose.reshape(len(seq), 72).astype(np.float32)


def pad_sequences(vectors: list[np.ndarray], length: int | None = None) -> np.ndarray:
    """The paper's padding: flatten each (T, 72) and zero-pad to the longest (or a given) length."""
    length = length or max(len(v) for v in vectors)
    out = np.zeros((len(vectors), length * 72), np.float32)
    for i, v in enumerate(vectors):
        flat = v[:length].reshape(-1)
        out[i, : flat.size] = flat
    return out


def build_features(seqs: list[PoseSequence], kind: str, length: int | None = None) -> np.ndarray:
    if kind == "angles":
        return np.stack([angle_features(s) for s in seqs])
    if kind == "paper":
        return pad_sequences([paper_vector(s) for s in seqs], length)
    if kind == "rep_curve":
        return np.stack([rep_curve_features(s) for s in seqs])
    raise GymlError(f"unknown feature set '{kind}' (choose from {', '.join(FEATURE_SETS)})")

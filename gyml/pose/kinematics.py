"""`Kinematics`: what every stage derives from a pose sequence (joints with gaps filled, joint angles,
body-centred pose features), derived once per sequence and handed from stage to stage.

The counter, the classifier and the coach all read the same joint angles and features; each computing
them again cost time and invited drift between stages. `analyze_sequence` makes one `Kinematics` and
passes it on; every stage also accepts none and then makes its own, so each keeps working on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import JOINT, joint_angles, normalized_joints

# Joints that carry an exercise's motion; fingers, collars and spine interpolations add only noise.
MOTION_JOINTS = [JOINT[n] for n in (
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "neck", "head",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)]


def fill_missing(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Linear interpolation of each column over the frames (rows) where it is unknown or the frame
    invalid; the ends hold the nearest known value. A column known nowhere stays NaN: a source without
    hands or feet (17-keypoint layouts, MediaPipe files missing points) is still a body, and judging frames
    by every column at once once made all of such a sequence's joints zero. Nothing known at all: zeros."""
    values = np.array(values, dtype=np.float64)
    flat = values.reshape(len(values), -1)
    t = np.arange(len(values))
    known = np.asarray(valid, bool)[:, None] & np.isfinite(flat)
    if not known.any():
        return np.zeros_like(values)
    for d in np.flatnonzero(~known.all(axis=0)):
        good = known[:, d]
        flat[:, d] = np.interp(t, t[good], flat[good, d]) if good.any() else np.nan
    return flat.reshape(values.shape)


@dataclass(frozen=True, eq=False)
class Kinematics:
    """The derived signals of one sequence, each computed on first use and kept.

    filled_joints: (T, 24, 3) joints with frames without a pose interpolated.
    raw_angles:    (T, len(ANGLE_NAMES)) joint angles (see `skeleton.joint_angles`) with gaps left NaN.
    angles:        the same with frames missing any angle interpolated.
    features:      (T, 3 * len(MOTION_JOINTS)) body-centred, size-normalised positions of the joints
                   that move in exercises, gaps interpolated: what reps are counted on.
    paper_features: (T, D) the paper's pose vector: SMPL axis-angle when the source has it, else joints.

    Body size is measured over the whole sequence (`skeleton.torso_length`), so a part of a sequence
    has kinematics of its own: make them from `sequence.slice(...)`, never by slicing these arrays.

    `derived` keeps what later stages derive from these once per sequence, by name (e.g. the recognition
    features, read by the person's own exercises and by the default model alike).
    """

    sequence: PoseSequence
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, seq: PoseSequence, kinematics: Kinematics | None = None) -> Kinematics:
        """`kinematics` when it was made from `seq`, else new ones (a stage handed none makes its own)."""
        if kinematics is not None and kinematics.sequence is seq:
            return kinematics
        return cls(seq)

    @cached_property
    def present(self) -> np.ndarray:
        return self.sequence.present

    @cached_property
    def filled_joints(self) -> np.ndarray:
        return fill_missing(self.sequence.joints, self.present)

    @cached_property
    def raw_angles(self) -> np.ndarray:
        """(T, len(ANGLE_NAMES)) joint angles as seen: NaN where a frame has no pose or an angle's joints
        are missing (the classifier fills each angle on its own, so a limb out of frame costs only its
        own columns)."""
        joints = self.sequence.joints
        if not np.isnan(joints[~self.present]).all():  # a reader left numbers in frames without a pose
            joints = np.where(self.present[:, None, None], joints, np.nan)
        return joint_angles(joints)

    @cached_property
    def angles(self) -> np.ndarray:
        a = self.raw_angles
        return fill_missing(a, self.present & np.isfinite(a).all(axis=1))

    @cached_property
    def features(self) -> np.ndarray:
        # Centring on the pelvis removes camera position and walking about; dividing by torso length
        # removes body size and distance to the camera.
        joints = normalized_joints(self.sequence.joints)[:, MOTION_JOINTS]
        # a joint the source never has is a still one to the counter, not a NaN
        return np.nan_to_num(fill_missing(joints, self.present).reshape(len(self.sequence), -1), nan=0.0)

    @cached_property
    def paper_features(self) -> np.ndarray:
        seq = self.sequence
        raw = seq.smpl_pose if seq.smpl_pose is not None else seq.joints
        return np.nan_to_num(fill_missing(raw.reshape(len(seq), -1), self.present), nan=0.0)


def pose_features(seq: PoseSequence) -> np.ndarray:
    """(T, D) body-centred, size-normalised joint positions with missing frames interpolated."""
    return Kinematics(seq).features


def angle_table(seq: PoseSequence) -> np.ndarray:
    """(T, len(ANGLE_NAMES)) joint angles with frames that have no valid pose interpolated."""
    return Kinematics(seq).angles


def paper_features(seq: PoseSequence) -> np.ndarray:
    """The paper's pose vector: SMPL axis-angle (72 numbers) when the source has it, else raw joints."""
    return Kinematics(seq).paper_features

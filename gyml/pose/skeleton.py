"""The canonical skeleton: SMPL's 24-joint topology, our own bone offsets, forward kinematics,
mappings from other joint sets, and joint-angle features computed the same way for every source.

Coordinates: metres, y up, and in the rest pose the body faces +z with its left side towards +x.
"""

from __future__ import annotations

import numpy as np

JOINT_NAMES = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle",
    "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hand", "right_hand",
)
NUM_JOINTS = len(JOINT_NAMES)
JOINT = {name: i for i, name in enumerate(JOINT_NAMES)}
PARENTS = np.array([-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21])

# Rest-pose offset of each joint from its parent (T-pose, metres) for a 1.75 m adult. These are our own
# anthropometric estimates (segment-length ratios after Winter's tables), not SMPL's licensed template.
_REST_OFFSETS_175 = np.array([
    [0.000, 0.000, 0.000],    # pelvis (root)
    [0.090, -0.080, 0.000],   # left_hip
    [-0.090, -0.080, 0.000],  # right_hip
    [0.000, 0.110, -0.015],   # spine1
    [0.000, -0.410, 0.000],   # left_knee
    [0.000, -0.410, 0.000],   # right_knee
    [0.000, 0.130, 0.000],    # spine2
    [0.000, -0.420, -0.010],  # left_ankle
    [0.000, -0.420, -0.010],  # right_ankle
    [0.000, 0.060, 0.015],    # spine3
    [0.000, -0.060, 0.130],   # left_foot
    [0.000, -0.060, 0.130],   # right_foot
    [0.000, 0.210, -0.020],   # neck
    [0.075, 0.120, -0.010],   # left_collar
    [-0.075, 0.120, -0.010],  # right_collar
    [0.000, 0.100, 0.040],    # head
    [0.110, 0.035, -0.010],   # left_shoulder
    [-0.110, 0.035, -0.010],  # right_shoulder
    [0.270, 0.000, 0.000],    # left_elbow
    [-0.270, 0.000, 0.000],   # right_elbow
    [0.250, 0.000, 0.000],    # left_wrist
    [-0.250, 0.000, 0.000],   # right_wrist
    [0.080, 0.000, 0.000],    # left_hand
    [-0.080, 0.000, 0.000],   # right_hand
], dtype=np.float64)

PELVIS_HEIGHT_175 = 0.93  # standing pelvis height above the floor for the reference body


def rest_offsets(height: float = 1.75, limb_scale: float = 1.0, arm_scale: float = 1.0) -> np.ndarray:
    """Bone offsets for a body of a given height; limb and arm scales vary proportions."""
    offsets = _REST_OFFSETS_175 * (height / 1.75)
    legs = [JOINT[n] for n in ("left_knee", "right_knee", "left_ankle", "right_ankle")]
    arms = [JOINT[n] for n in ("left_elbow", "right_elbow", "left_wrist", "right_wrist")]
    offsets[legs] *= limb_scale
    offsets[arms] *= arm_scale
    return offsets


def forward_kinematics(axis_angle: np.ndarray, translation: np.ndarray | None = None,
                       offsets: np.ndarray | None = None) -> np.ndarray:
    """Joint positions (T, 24, 3) from SMPL axis-angle (T, 24, 3); joint 0 holds the global orientation."""
    from scipy.spatial.transform import Rotation  # here: scipy.spatial costs every process start 0.4 s

    axis_angle = np.asarray(axis_angle, dtype=np.float64)
    frames = axis_angle.shape[0]
    offsets = rest_offsets() if offsets is None else np.asarray(offsets, dtype=np.float64)
    local = Rotation.from_rotvec(axis_angle.reshape(-1, 3)).as_matrix().reshape(frames, NUM_JOINTS, 3, 3)
    world_rot = np.empty_like(local)
    positions = np.zeros((frames, NUM_JOINTS, 3))
    world_rot[:, 0] = local[:, 0]
    for j in range(1, NUM_JOINTS):
        p = PARENTS[j]
        world_rot[:, j] = world_rot[:, p] @ local[:, j]
        positions[:, j] = positions[:, p] + world_rot[:, p] @ offsets[j]
    if translation is not None:
        positions += np.asarray(translation, dtype=np.float64)[:, None, :]
    return positions.astype(np.float32)


def rotation_matrices_to_axis_angle(matrices: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices -> (..., 3) axis-angle; non-orthonormal input is projected first."""
    from scipy.spatial.transform import Rotation

    matrices = np.asarray(matrices, dtype=np.float64)
    shape = matrices.shape[:-2]
    flat = matrices.reshape(-1, 3, 3)
    u, _, vt = np.linalg.svd(flat)
    fixed = u @ vt
    fixed[np.linalg.det(fixed) < 0] *= -1  # reflections are not rotations; flip back into SO(3)
    return Rotation.from_matrix(fixed).as_rotvec().reshape(*shape, 3).astype(np.float32)


# ---------------------------------------------------------------------------------------------------
# Other joint sets onto the canonical one. Each canonical joint is a weighted mean of source joints.

def _mapping(table: dict[str, dict[int, float]], n_source: int) -> np.ndarray:
    weights = np.zeros((NUM_JOINTS, n_source))
    for name, parts in table.items():
        for src, w in parts.items():
            weights[JOINT[name], src] = w
    weights /= weights.sum(axis=1, keepdims=True)
    return weights


# MediaPipe Pose: 11/12 shoulders, 13/14 elbows, 15/16 wrists, 17-22 hand points, 23/24 hips,
# 25/26 knees, 27/28 ankles, 29/30 heels, 31/32 foot index, 7/8 ears, 0 nose.
# MediaPipe's hip landmarks sit near the SMPL hip joints; spine joints are interpolated hip -> shoulder.
MEDIAPIPE_TO_SMPL = _mapping({
    "pelvis": {23: 0.5, 24: 0.5},
    "left_hip": {23: 1.0}, "right_hip": {24: 1.0},
    "spine1": {23: 0.375, 24: 0.375, 11: 0.125, 12: 0.125},
    "left_knee": {25: 1.0}, "right_knee": {26: 1.0},
    "spine2": {23: 0.25, 24: 0.25, 11: 0.25, 12: 0.25},
    "left_ankle": {27: 1.0}, "right_ankle": {28: 1.0},
    "spine3": {23: 0.15, 24: 0.15, 11: 0.35, 12: 0.35},
    "left_foot": {31: 1.0}, "right_foot": {32: 1.0},
    "neck": {11: 0.5, 12: 0.5},
    "left_collar": {11: 0.75, 12: 0.25}, "right_collar": {12: 0.75, 11: 0.25},
    "head": {7: 0.35, 8: 0.35, 0: 0.3},
    "left_shoulder": {11: 1.0}, "right_shoulder": {12: 1.0},
    "left_elbow": {13: 1.0}, "right_elbow": {14: 1.0},
    "left_wrist": {15: 1.0}, "right_wrist": {16: 1.0},
    "left_hand": {17: 1 / 3, 19: 1 / 3, 21: 1 / 3}, "right_hand": {18: 1 / 3, 20: 1 / 3, 22: 1 / 3},
}, 33)

# NTU RGB+D 25 (0-based): 0 spine base, 1 spine mid, 2 neck, 3 head, 4-7 left shoulder/elbow/wrist/hand,
# 8-11 right arm, 12-15 left hip/knee/ankle/foot, 16-19 right leg, 20 spine at shoulders, 21-24 hand tips.
NTU_TO_SMPL = _mapping({
    "pelvis": {0: 1.0},
    "left_hip": {12: 1.0}, "right_hip": {16: 1.0},
    "spine1": {0: 0.5, 1: 0.5},
    "left_knee": {13: 1.0}, "right_knee": {17: 1.0},
    "spine2": {1: 1.0},
    "left_ankle": {14: 1.0}, "right_ankle": {18: 1.0},
    "spine3": {1: 0.4, 20: 0.6},
    "left_foot": {15: 1.0}, "right_foot": {19: 1.0},
    "neck": {2: 1.0},
    "left_collar": {20: 0.5, 4: 0.5}, "right_collar": {20: 0.5, 8: 0.5},
    "head": {3: 1.0},
    "left_shoulder": {4: 1.0}, "right_shoulder": {8: 1.0},
    "left_elbow": {5: 1.0}, "right_elbow": {9: 1.0},
    "left_wrist": {6: 1.0}, "right_wrist": {10: 1.0},
    "left_hand": {7: 1.0}, "right_hand": {11: 1.0},
}, 25)


def map_joints(points: np.ndarray, weights: np.ndarray, confidence: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Map (T, S, 3) source points to (T, 24, 3) canonical joints; confidence is the weakest source used."""
    points = np.asarray(points, dtype=np.float64)
    joints = np.einsum("js,tsc->tjc", weights, np.nan_to_num(points))
    if confidence is None:
        confidence = np.isfinite(points).all(axis=2).astype(np.float64)
    used = weights > 0
    conf = np.stack([np.min(np.where(used[j], confidence, np.inf), axis=1) for j in range(NUM_JOINTS)], 1)
    joints[conf <= 0] = np.nan
    return joints.astype(np.float32), conf.astype(np.float32)


# ---------------------------------------------------------------------------------------------------
# Joint angles: what a coach reads, in degrees, computed the same way whatever the source.

ANGLE_NAMES = (
    "left_knee_flexion", "right_knee_flexion",
    "left_hip_flexion", "right_hip_flexion",
    "left_elbow_flexion", "right_elbow_flexion",
    "left_shoulder_elevation", "right_shoulder_elevation",
    "left_shoulder_abduction", "right_shoulder_abduction",
    "trunk_inclination",
    "body_line",
    "knee_width_ratio",
    "hand_height", "hip_height",
    "left_hip_abduction", "right_hip_abduction",
    "left_knee_out", "right_knee_out",
)


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle in degrees between vectors (..., 3)."""
    na = np.linalg.norm(a, axis=-1)
    nb = np.linalg.norm(b, axis=-1)
    cos = np.einsum("...i,...i->...", a, b) / np.maximum(na * nb, 1e-9)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def body_frame(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame trunk axes: up (pelvis -> neck), left (right hip -> left hip), forward (left x up)."""
    j = joints
    up = j[:, JOINT["neck"]] - j[:, JOINT["pelvis"]]
    up /= np.maximum(np.linalg.norm(up, axis=-1, keepdims=True), 1e-9)
    left = (j[:, JOINT["left_hip"]] - j[:, JOINT["right_hip"]]) + (
        j[:, JOINT["left_shoulder"]] - j[:, JOINT["right_shoulder"]])
    left -= np.einsum("ti,ti->t", left, up)[:, None] * up
    left /= np.maximum(np.linalg.norm(left, axis=-1, keepdims=True), 1e-9)
    forward = np.cross(left, up)
    return up, left, forward


def torso_length(joints: np.ndarray) -> float:
    """Median pelvis-to-neck distance: the body's own scale, free of camera distance."""
    d = np.linalg.norm(joints[:, JOINT["neck"]] - joints[:, JOINT["pelvis"]], axis=-1)
    d = d[np.isfinite(d)]
    return float(np.median(d)) if d.size else 1.0


UP = np.array([0.0, 1.0, 0.0])   # the world's vertical in gyml's joint coordinates (y up)
UP.setflags(write=False)


def joint_angles(joints: np.ndarray, up_axis: np.ndarray = UP) -> np.ndarray:
    """(T, len(ANGLE_NAMES)) features: angles in degrees, ratios and heights in torso lengths.

    Flexions are 0 when the limb is straight. Elevation is the angle of the upper arm from the trunk's
    downward axis (0 = arm by the side, 180 = overhead); abduction is its sideways part. Trunk
    inclination is the trunk's angle from the vertical. Body line is 180 minus the shoulder-hip-ankle
    angle (0 = straight plank; sign: positive = hips sag towards the floor side of the body). Knee out is
    the knee's sideways angle off its hip-ankle line (negative = caving in).
    """
    j = np.asarray(joints, dtype=np.float64)
    J = JOINT
    up, left, forward = body_frame(j)
    scale = torso_length(j)

    def flexion(a, b, c):
        return 180.0 - _angle(j[:, J[a]] - j[:, J[b]], j[:, J[c]] - j[:, J[b]])

    feats = {}
    for side in ("left", "right"):
        feats[f"{side}_knee_flexion"] = flexion(f"{side}_hip", f"{side}_knee", f"{side}_ankle")
        thigh = j[:, J[f"{side}_knee"]] - j[:, J[f"{side}_hip"]]
        feats[f"{side}_hip_flexion"] = _angle(thigh, -up)
        feats[f"{side}_elbow_flexion"] = flexion(f"{side}_shoulder", f"{side}_elbow", f"{side}_wrist")
        upper_arm = j[:, J[f"{side}_elbow"]] - j[:, J[f"{side}_shoulder"]]
        feats[f"{side}_shoulder_elevation"] = _angle(upper_arm, -up)
        outward = left if side == "left" else -left
        lateral = np.einsum("ti,ti->t", upper_arm, outward)
        feats[f"{side}_shoulder_abduction"] = np.degrees(np.arcsin(np.clip(
            lateral / np.maximum(np.linalg.norm(upper_arm, axis=-1), 1e-9), -1, 1)))
        feats[f"{side}_hip_abduction"] = np.degrees(np.arcsin(np.clip(
            np.einsum("ti,ti->t", thigh, outward) / np.maximum(np.linalg.norm(thigh, axis=-1), 1e-9), -1, 1)))
    trunk = j[:, J["neck"]] - j[:, J["pelvis"]]
    feats["trunk_inclination"] = _angle(trunk, np.broadcast_to(up_axis, trunk.shape))
    ankles = 0.5 * (j[:, J["left_ankle"]] + j[:, J["right_ankle"]])
    shoulders = 0.5 * (j[:, J["left_shoulder"]] + j[:, J["right_shoulder"]])
    hips = 0.5 * (j[:, J["left_hip"]] + j[:, J["right_hip"]])
    bend = 180.0 - _angle(shoulders - hips, ankles - hips)
    # Which way the hips bend out of the shoulder-ankle line: towards the back (pike) or the front (sag).
    line = ankles - shoulders
    t = np.einsum("ti,ti->t", hips - shoulders, line) / np.maximum(np.einsum("ti,ti->t", line, line), 1e-9)
    off_line = hips - (shoulders + t[:, None] * line)
    sign = np.sign(np.einsum("ti,ti->t", off_line, forward))
    feats["body_line"] = bend * np.where(sign == 0, 1.0, sign)
    for side in ("left", "right"):
        # The knee's sideways offset from its own hip-ankle line, as an angle at the hip: positive outside
        # the line, negative when the knee caves in. Unlike the knee/ankle width ratio it holds for any
        # stance (feet parallel, wide, or one leg forward in a lunge).
        hip, knee, ankle = j[:, J[f"{side}_hip"]], j[:, J[f"{side}_knee"]], j[:, J[f"{side}_ankle"]]
        leg = ankle - hip
        t = np.einsum("ti,ti->t", knee - hip, leg) / np.maximum(np.einsum("ti,ti->t", leg, leg), 1e-9)
        offset = knee - (hip + t[:, None] * leg)
        outward = left if side == "left" else -left
        thigh_len = np.maximum(np.linalg.norm(knee - hip, axis=-1), 1e-9)
        feats[f"{side}_knee_out"] = np.degrees(np.arcsin(np.clip(
            np.einsum("ti,ti->t", offset, outward) / thigh_len, -1, 1)))
    knee_w = np.linalg.norm(j[:, J["left_knee"]] - j[:, J["right_knee"]], axis=-1)
    ankle_w = np.linalg.norm(j[:, J["left_ankle"]] - j[:, J["right_ankle"]], axis=-1)
    feats["knee_width_ratio"] = knee_w / np.maximum(ankle_w, 0.05 * scale)
    hands = 0.5 * (j[:, J["left_wrist"]] + j[:, J["right_wrist"]])
    feats["hand_height"] = np.einsum("ti,i->t", hands - shoulders, up_axis) / scale
    feats["hip_height"] = np.einsum("ti,i->t", hips - ankles, up_axis) / scale
    return np.stack([feats[n] for n in ANGLE_NAMES], axis=1).astype(np.float32)


def normalized_joints(joints: np.ndarray) -> np.ndarray:
    """Joints centred on the pelvis and divided by torso length: free of position and body size."""
    j = np.asarray(joints, dtype=np.float64)
    centred = j - j[:, :1]
    return (centred / torso_length(j)).astype(np.float32)

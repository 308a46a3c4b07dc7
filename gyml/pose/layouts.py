"""Common 3D keypoint layouts onto the canonical skeleton, and which joints a source lacks.

A layout names what each keypoint index is. Canonical joints a layout has no keypoint for (COCO-17 has no
hands or toes, for instance) stay NaN with confidence 0, and the sequence records them in
`metadata["absent_joints"]` so that checks needing them can be skipped and said so (`skipped_checks`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gyml.errors import GymlError
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import JOINT, JOINT_NAMES, MEDIAPIPE_TO_SMPL, NTU_TO_SMPL, NUM_JOINTS


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    count: int
    weights: np.ndarray  # (24, count): each canonical joint a weighted mean of keypoints; all-zero row = absent


def _table(parts: dict[str, dict[int, float]], count: int) -> np.ndarray:
    weights = np.zeros((NUM_JOINTS, count))
    for name, sources in parts.items():
        for index, w in sources.items():
            weights[JOINT[name], index] = w
    sums = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, sums, out=np.zeros_like(weights), where=sums > 0)


def _trunk(l_hip: int, r_hip: int, l_sh: int, r_sh: int) -> dict[str, dict[int, float]]:
    """Spine joints interpolated hip -> shoulder, as for MediaPipe (sources without spine points)."""
    return {
        "pelvis": {l_hip: 0.5, r_hip: 0.5},
        "spine1": {l_hip: 0.375, r_hip: 0.375, l_sh: 0.125, r_sh: 0.125},
        "spine2": {l_hip: 0.25, r_hip: 0.25, l_sh: 0.25, r_sh: 0.25},
        "spine3": {l_hip: 0.15, r_hip: 0.15, l_sh: 0.35, r_sh: 0.35},
        "neck": {l_sh: 0.5, r_sh: 0.5},
        "left_collar": {l_sh: 0.75, r_sh: 0.25}, "right_collar": {r_sh: 0.75, l_sh: 0.25},
    }


def _limbs(**index: int) -> dict[str, dict[int, float]]:
    return {name: {i: 1.0} for name, i in index.items()}


# COCO-17: 0 nose, 1/2 eyes, 3/4 ears, 5/6 shoulders, 7/8 elbows, 9/10 wrists, 11/12 hips, 13/14 knees,
# 15/16 ankles (left first).
_COCO17 = {**_trunk(11, 12, 5, 6), "head": {3: 0.35, 4: 0.35, 0: 0.3},
           **_limbs(left_hip=11, right_hip=12, left_knee=13, right_knee=14, left_ankle=15, right_ankle=16,
                    left_shoulder=5, right_shoulder=6, left_elbow=7, right_elbow=8, left_wrist=9, right_wrist=10)}

# Human3.6M-17: 0 pelvis, 1-3 right hip/knee/ankle, 4-6 left hip/knee/ankle, 7 spine, 8 thorax, 9 neck/nose,
# 10 head top, 11-13 left shoulder/elbow/wrist, 14-16 right shoulder/elbow/wrist.
_H36M17 = {"pelvis": {0: 1.0}, "spine1": {0: 0.5, 7: 0.5}, "spine2": {7: 1.0}, "spine3": {7: 0.4, 8: 0.6},
           "neck": {8: 1.0}, "left_collar": {8: 0.5, 11: 0.5}, "right_collar": {8: 0.5, 14: 0.5},
           "head": {9: 0.5, 10: 0.5},
           **_limbs(left_hip=4, right_hip=1, left_knee=5, right_knee=2, left_ankle=6, right_ankle=3,
                    left_shoulder=11, right_shoulder=14, left_elbow=12, right_elbow=15, left_wrist=13,
                    right_wrist=16)}

# OpenPose BODY-18 (COCO-18): 0 nose, 1 neck, 2-4 right shoulder/elbow/wrist, 5-7 left arm, 8-10 right
# hip/knee/ankle, 11-13 left leg, 14/15 right/left eye, 16/17 right/left ear.
_BODY18 = {**_trunk(11, 8, 5, 2), "neck": {1: 1.0}, "head": {16: 0.35, 17: 0.35, 0: 0.3},
           **_limbs(left_hip=11, right_hip=8, left_knee=12, right_knee=9, left_ankle=13, right_ankle=10,
                    left_shoulder=5, right_shoulder=2, left_elbow=6, right_elbow=3, left_wrist=7, right_wrist=4)}

# OpenPose BODY-25: as BODY-18 but 8 mid hip, 9-11 right leg, 12-14 left leg, 15/16 eyes, 17/18 ears,
# 19/20 left big/small toe, 21 left heel, 22/23 right big/small toe, 24 right heel.
_BODY25 = {**_trunk(12, 9, 5, 2), "pelvis": {8: 1.0}, "neck": {1: 1.0}, "head": {17: 0.35, 18: 0.35, 0: 0.3},
           "left_foot": {19: 0.5, 20: 0.5}, "right_foot": {22: 0.5, 23: 0.5},
           **_limbs(left_hip=12, right_hip=9, left_knee=13, right_knee=10, left_ankle=14, right_ankle=11,
                    left_shoulder=5, right_shoulder=2, left_elbow=6, right_elbow=3, left_wrist=7, right_wrist=4)}

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (
    Layout("mediapipe33", "MediaPipe-33", 33, MEDIAPIPE_TO_SMPL),
    Layout("coco17", "COCO-17", 17, _table(_COCO17, 17)),
    Layout("h36m17", "Human3.6M-17", 17, _table(_H36M17, 17)),
    Layout("body18", "OpenPose BODY-18", 18, _table(_BODY18, 18)),
    Layout("body25", "OpenPose BODY-25", 25, _table(_BODY25, 25)),
    Layout("ntu25", "NTU RGB+D 25", 25, NTU_TO_SMPL),
)}
# Other spellings people use, compared without case, spaces, dots, dashes or underscores.
_ALIASES = {"mediapipe": "mediapipe33", "blazepose": "mediapipe33", "coco": "coco17", "h36m": "h36m17",
            "human36m": "h36m17", "human36m17": "h36m17", "coco18": "body18", "openpose18": "body18",
            "openposebody18": "body18", "openpose25": "body25", "openposebody25": "body25", "ntu": "ntu25",
            "nturgbd": "ntu25", "nturgbd25": "ntu25", "kinectv2": "ntu25"}
LAYOUT_HELP = ", ".join(LAYOUTS)


def get_layout(name: str) -> Layout:
    key = "".join(c for c in name.lower() if c.isalnum())
    key = _ALIASES.get(key, key)
    if key in LAYOUTS:
        return LAYOUTS[key]
    raise GymlError(f"unknown keypoint layout '{name}' (known: {LAYOUT_HELP})")


def layout_mismatch(layout: Layout, file: str, values: int | None = None, keypoints: int | None = None
                    ) -> GymlError:
    """The error for a file that does not fit the layout it was given (with --layout or in the file): what
    the layout needs against what the file has, per frame; nothing about giving --layout, it was given."""
    has = f"{keypoints} keypoints a frame" if keypoints is not None else f"{values} values a frame"
    return GymlError(f"{file}: layout {layout.name} has {layout.count} keypoints ({3 * layout.count} or "
                     f"{4 * layout.count} values a frame); this file has {has}")


def resolve_layout(count: int, name: str | None, file: str) -> Layout:
    """The layout named with --layout, else the only one with `count` keypoints; one clear line otherwise."""
    if name:
        layout = get_layout(name)
        if layout.count != count:
            raise layout_mismatch(layout, file, keypoints=count)
        return layout
    matches = [layout for layout in LAYOUTS.values() if layout.count == count]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise GymlError(f"{file}: {count} keypoints per frame could be {' or '.join(m.title for m in matches)}; "
                        f"name the layout with --layout ({', '.join(m.name for m in matches)})")
    raise GymlError(f"{file}: {count} keypoints per frame match no known layout ({LAYOUT_HELP}); "
                    "give --layout NAME for a file in one of them")


def keypoint_counts() -> set[int]:
    return {layout.count for layout in LAYOUTS.values()}


def _to_metres_y_up(points: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Millimetre sources to metres; a y-down source (image-like axes) turned y-up, keeping right-handed axes.

    Units are told by the body's own size: no adult's hip-to-shoulder distance exceeds 5 units in metres.
    Up is told by the head standing above the ankles in most frames; a body lying flat in every frame
    (a plank-only file) keeps the axes it came with.
    """
    def joint(name):
        return np.einsum("s,tsc->tc", weights[JOINT[name]], points) if weights[JOINT[name]].any() else None

    neck, pelvis = joint("neck"), joint("pelvis")
    if neck is not None and pelvis is not None:
        torso = np.nanmedian(np.linalg.norm(neck - pelvis, axis=-1))
        if np.isfinite(torso) and torso > 5.0:
            points = points / 1000.0
            neck, pelvis = neck / 1000.0, pelvis / 1000.0
    head = joint("head")
    ankles = [a for a in (joint("left_ankle"), joint("right_ankle")) if a is not None]
    if head is not None and ankles and neck is not None and pelvis is not None:
        torso = np.nanmedian(np.linalg.norm(neck - pelvis, axis=-1))
        rise = np.nanmedian(head[:, 1] - np.mean(ankles, axis=0)[:, 1])
        if np.isfinite(rise) and rise < -0.5 * torso:
            points = points * np.array([1.0, -1.0, -1.0])
    return points


def keypoints_to_sequence(points: np.ndarray, confidence: np.ndarray | None, layout: Layout, fps: float,
                          source: str, metadata: dict | None = None) -> PoseSequence:
    """(T, K, 3) keypoints in `layout` -> PoseSequence. NaN, all-zero or confidence-0 keypoints are missing."""
    from gyml.pose.readers.mediapipe_landmarks import landmarks_to_sequence
    from gyml.pose.skeleton import map_joints

    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 3 or points.shape[1] != layout.count or points.shape[2] != 3:
        raise GymlError(f"expected ({len(points)}, {layout.count}, 3) keypoints for {layout.name}, "
                        f"got {points.shape}")
    conf = np.ones(points.shape[:2]) if confidence is None else np.nan_to_num(np.asarray(confidence, float))
    # OpenPose and many trackers write an undetected keypoint as (0, 0, 0).
    missing = ~np.isfinite(points).all(axis=2) | (np.abs(np.nan_to_num(points)).sum(axis=2) == 0) | (conf <= 0)
    points = points.copy()
    points[missing] = np.nan
    meta = {**(metadata or {}), "layout": layout.name}
    if layout.name == "mediapipe33":
        seq = landmarks_to_sequence(points, np.where(missing, 0.0, conf), fps, source, metadata=meta)
    else:
        points = _to_metres_y_up(points, layout.weights)
        conf = np.clip(np.where(missing, 0.0, conf), 0.0, 1.0)
        conf[~missing] = np.maximum(conf[~missing], 0.01)
        joints, joint_conf = map_joints(points, layout.weights, conf)
        absent_rows = ~layout.weights.any(axis=1)
        joints[:, absent_rows] = np.nan
        joint_conf[:, absent_rows] = 0.0
        seq = PoseSequence(joints=joints, confidence=joint_conf, fps=fps, source=source, metadata=meta)
    return mark_absent_joints(seq)


# ---------------------------------------------------------------------------------------------------
# What a source lacks, and which checks that rules out (for the coach and the report).

def absent_joints(seq: PoseSequence) -> list[str]:
    """Canonical joints the source never gives (confidence 0 in every frame where a person was seen)."""
    seen = seq.present
    if not seen.any():
        return list(JOINT_NAMES)
    never = ~(seq.confidence[seen] > 0).any(axis=0)
    return [name for name, lacking in zip(JOINT_NAMES, never) if lacking]


def mark_absent_joints(seq: PoseSequence) -> PoseSequence:
    seq.metadata["absent_joints"] = absent_joints(seq)
    return seq


def joints_available(seq: PoseSequence) -> set[str]:
    """Canonical joints this source gives in at least one frame with a person."""
    lacking = seq.metadata.get("absent_joints")
    lacking = absent_joints(seq) if lacking is None else lacking
    return set(JOINT_NAMES) - set(lacking)


def skipped_checks(seq: PoseSequence, needs: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """{check: the joints it needs that this source lacks} for the checks that cannot be made.

    `needs` maps each check to the canonical joints it reads, e.g. {"knees_cave": ("left_knee", ...)}.
    """
    available = joints_available(seq)
    return {check: [j for j in joints if j not in available] for check, joints in needs.items()
            if any(j not in available for j in joints)}


def skipped_note(skipped: dict[str, list[str]]) -> str | None:
    """One sentence for the report: which checks were skipped and why."""
    if not skipped:
        return None
    parts = [f"{check.replace('_', ' ')} (needs {', '.join(j.replace('_', ' ') for j in joints)})"
             for check, joints in skipped.items()]
    return f"Not checked, the source has no such points: {'; '.join(parts)}."

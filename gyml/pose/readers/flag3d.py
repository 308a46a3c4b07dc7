"""FLAG3D files: SMPL parameters (`poses`, `Rh`, `Th`, `shapes`) and NTU-25 keypoint annotations."""

from __future__ import annotations

import re

import numpy as np

from gyml.errors import GymlError
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import NTU_TO_SMPL, NUM_JOINTS, forward_kinematics, map_joints, rest_offsets

FLAG3D_NAME = re.compile(r"(?:S(?P<setup>\d{3})C(?P<camera>\d{3}))?M(?P<avatar>\d{3})P(?P<person>\d{3})"
                         r"A(?P<action>\d{3})R(?P<repeat>\d{3})")


def parse_flag3d_name(name: str) -> dict | None:
    """`M001P002A003R001.pkl` -> {'avatar': 1, 'person': 2, 'action': 3, 'repeat': 1, 'label': 2}."""
    match = FLAG3D_NAME.search(name)
    if not match:
        return None
    fields = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    fields["label"] = fields["action"] - 1
    return fields


def looks_like_smpl_params(obj) -> bool:
    return isinstance(obj, dict) and "poses" in obj


def looks_like_keypoints(obj) -> bool:
    return isinstance(obj, dict) and ("annotations" in obj or "keypoint" in obj)


def _array(obj: dict, key: str, name: str) -> np.ndarray:
    try:
        arr = np.asarray(obj[key], dtype=np.float64)
    except KeyError:
        raise GymlError(f"{name}: FLAG3D SMPL file without '{key}'") from None
    except (TypeError, ValueError):
        raise GymlError(f"{name}: '{key}' is not numeric") from None
    if not np.isfinite(arr).all():
        raise GymlError(f"{name}: '{key}' contains NaN or infinite values")
    return arr


def smpl_params_to_sequence(obj: dict, name: str = "flag3d", fps: float = 30.0) -> PoseSequence:
    poses = _array(obj, "poses", name)
    if poses.ndim != 2 or poses.shape[1] != 72 or len(poses) == 0:
        raise GymlError(f"{name}: 'poses' must have shape (T, 72), got {poses.shape}")
    frames = len(poses)
    axis_angle = poses.reshape(frames, NUM_JOINTS, 3).copy()
    if "Rh" in obj:
        rh = _array(obj, "Rh", name).reshape(-1, 3)
        if len(rh) not in (1, frames):
            raise GymlError(f"{name}: 'Rh' has {len(rh)} rows for {frames} frames")
        axis_angle[:, 0] = rh
    translation = None
    if "Th" in obj:
        translation = _array(obj, "Th", name).reshape(-1, 3)
        if len(translation) not in (1, frames):
            raise GymlError(f"{name}: 'Th' has {len(translation)} rows for {frames} frames")
        translation = np.broadcast_to(translation, (frames, 3))
    joints = forward_kinematics(axis_angle, translation, rest_offsets())
    meta = {"file": name}
    parsed = parse_flag3d_name(name)
    if parsed:
        meta["flag3d"] = parsed
    return PoseSequence(joints=joints, confidence=np.ones(joints.shape[:2], np.float32), fps=fps,
                        smpl_pose=axis_angle.astype(np.float32), source="flag3d", metadata=meta)


def keypoint_annotations(obj: dict) -> list[dict]:
    """The annotation records of a FLAG3D keypoint file (or a single record)."""
    if "annotations" in obj:
        anns = obj["annotations"]
        if not isinstance(anns, (list, tuple)):
            raise GymlError("FLAG3D keypoint file: 'annotations' is not a list")
        return list(anns)
    return [obj]


def annotation_to_sequence(ann: dict, fps: float = 30.0, name: str = "flag3d") -> PoseSequence:
    try:
        kp = np.asarray(ann["keypoint"], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        raise GymlError(f"{name}: FLAG3D keypoint record without a numeric 'keypoint'") from None
    if kp.ndim == 4:
        kp = kp[0]  # (persons, T, 25, 3): FLAG3D has one person
    if kp.ndim != 3 or kp.shape[1:] != (25, 3):
        raise GymlError(f"{name}: 'keypoint' must have shape (1, T, 25, 3), got {kp.shape}")
    joints, conf = map_joints(kp, NTU_TO_SMPL)
    meta = {"file": name}
    frame_dir = ann.get("frame_dir")
    if isinstance(frame_dir, str):
        meta["frame_dir"] = frame_dir
        parsed = parse_flag3d_name(frame_dir)
        if parsed:
            meta["flag3d"] = parsed
    if "label" in ann:
        meta["label"] = int(ann["label"])
    return PoseSequence(joints=joints, confidence=conf, fps=fps, source="flag3d_keypoints", metadata=meta)


def keypoints_to_sequence(obj: dict, name: str = "flag3d", fps: float = 30.0) -> PoseSequence:
    anns = keypoint_annotations(obj)
    if not anns:
        raise GymlError(f"{name}: FLAG3D keypoint file with no annotations")
    # A whole-dataset file holds many sequences; `gyml analyze` takes the first, dataset loaders take all.
    return annotation_to_sequence(anns[0], fps=fps, name=name)

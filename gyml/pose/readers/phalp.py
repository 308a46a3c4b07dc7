"""4D-Humans / PHALP tracking output: a dict of frames, each with per-track SMPL rotation matrices."""

from __future__ import annotations

from collections import Counter

import numpy as np

from gyml.errors import GymlError
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import NUM_JOINTS, forward_kinematics, rotation_matrices_to_axis_angle

# HMR 2.0 predicts in the camera frame (y down, z away from the camera); a half turn about x makes y up.
CAMERA_TO_WORLD = np.diag([1.0, -1.0, -1.0])


def looks_like_phalp(obj) -> bool:
    if not isinstance(obj, dict) or not obj:
        return False
    first = next(iter(obj.values()))
    return isinstance(first, dict) and ("tid" in first or "smpl" in first or "pose" in first)


def _track_rotations(frame: dict, index: int, name: str) -> np.ndarray | None:
    """(24, 3, 3) rotations of one track in one frame, from `smpl` or, failing that, `pose` (229,)."""
    smpl = frame.get("smpl")
    if isinstance(smpl, (list, tuple)) and index < len(smpl) and isinstance(smpl[index], dict):
        entry = smpl[index]
        try:
            glob = np.asarray(entry["global_orient"], dtype=np.float64).reshape(1, 3, 3)
            body = np.asarray(entry["body_pose"], dtype=np.float64).reshape(23, 3, 3)
        except (KeyError, ValueError) as exc:
            raise GymlError(f"{name}: malformed 'smpl' entry ({exc})") from None
        return np.concatenate([glob, body])
    pose = frame.get("pose")
    if isinstance(pose, (list, tuple)) and index < len(pose):
        vec = np.asarray(pose[index], dtype=np.float64).ravel()
        if vec.size < 216:
            raise GymlError(f"{name}: 'pose' vectors must hold at least 216 numbers, got {vec.size}")
        return vec[:216].reshape(NUM_JOINTS, 3, 3)
    return None


def main_track(obj: dict) -> int:
    """The person the video is about: the track detected in the most frames, then the larger one."""
    seen: Counter = Counter()
    area: Counter = Counter()
    for frame in obj.values():
        tids = list(frame.get("tid", []))
        times = list(frame.get("tracked_time", [0] * len(tids)))
        boxes = list(frame.get("bbox", []))
        for i, tid in enumerate(tids):
            if i < len(times) and times[i] == 0:
                seen[int(tid)] += 1
                if i < len(boxes):
                    b = np.asarray(boxes[i], dtype=float).ravel()
                    if b.size >= 4:
                        area[int(tid)] += float(b[2] * b[3])
    if not seen:
        raise GymlError("PHALP file: no tracked person in any frame")
    return max(seen, key=lambda t: (seen[t], area[t]))


def phalp_to_sequence(obj: dict, name: str = "phalp", fps: float = 30.0) -> PoseSequence:
    frames = list(obj.values())
    has_tid = any("tid" in f for f in frames)
    track = main_track(obj) if has_tid else None
    rotations = np.full((len(frames), NUM_JOINTS, 3, 3), np.nan)
    translation = np.zeros((len(frames), 3))
    present = np.zeros(len(frames), bool)
    for t, frame in enumerate(frames):
        if not isinstance(frame, dict):
            raise GymlError(f"{name}: frame {t} is not a dict")
        if track is None:
            index = 0
        else:
            tids = [int(x) for x in frame.get("tid", [])]
            if track not in tids:
                continue
            index = tids.index(track)
            times = list(frame.get("tracked_time", []))
            if index < len(times) and times[index] != 0:
                continue  # PHALP repeats a lost track's last values; they are not observations
        rot = _track_rotations(frame, index, name)
        if rot is None:
            continue
        if not np.isfinite(rot).all():
            raise GymlError(f"{name}: frame {t} has NaN or infinite rotations")
        rotations[t] = rot
        rotations[t, 0] = CAMERA_TO_WORLD @ rot[0]
        cam = frame.get("camera")
        if isinstance(cam, (list, tuple)) and index < len(cam):
            translation[t] = CAMERA_TO_WORLD @ np.asarray(cam[index], dtype=float).ravel()[:3]
        present[t] = True
    if not present.any():
        raise GymlError(f"{name}: PHALP file without SMPL parameters ('smpl' or 'pose') for any frame")
    axis_angle = np.zeros((len(frames), NUM_JOINTS, 3), np.float32)
    axis_angle[present] = rotation_matrices_to_axis_angle(rotations[present])
    joints = forward_kinematics(axis_angle, translation)
    joints[~present] = np.nan
    confidence = np.repeat(present[:, None], NUM_JOINTS, axis=1).astype(np.float32)
    meta = {"file": name, "track_id": track, "frame_keys": [str(k) for k in list(obj.keys())[:1]]}
    return PoseSequence(joints=joints, confidence=confidence, fps=fps, smpl_pose=axis_angle,
                        source="phalp", metadata=meta)

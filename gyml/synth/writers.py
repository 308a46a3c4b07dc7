"""Write synthesised sequences in every layout gyml reads, so readers are tested on real layouts."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import joblib
import numpy as np
from scipy.spatial.transform import Rotation

from gyml.errors import GymlError
from gyml.pose.readers.phalp import CAMERA_TO_WORLD
from gyml.pose.sequence import PoseSequence, write_atomically
from gyml.synth.catalog import CATALOG

_NAMES_FILE = Path(__file__).resolve().parents[1] / "data" / "flag3d_action_names.json"


def flag3d_action_names() -> dict[str, str]:
    """FLAG3D's 60 action names by id (A001 ...)."""
    return json.loads(_NAMES_FILE.read_text())


def action_ids() -> dict[str, str]:
    """Catalog label -> action id: FLAG3D's where the exercise is one of its 60, else A061 onwards."""
    ids, extra = {}, 61
    for label, spec in CATALOG.items():
        if spec.flag3d_id:
            ids[label] = spec.flag3d_id
        else:
            ids[label] = f"A{extra:03d}"
            extra += 1
    return ids


def _require_smpl(seq: PoseSequence) -> np.ndarray:
    if seq.smpl_pose is None:
        raise GymlError("this writer needs SMPL parameters (a synthesised, FLAG3D or PHALP sequence)")
    return seq.smpl_pose


def write_flag3d_smpl(seq: PoseSequence, path: Path) -> Path:
    """FLAG3D `smpl_param` layout: poses (T, 72) with the global orientation moved to Rh, Th, shapes."""
    pose = _require_smpl(seq).reshape(len(seq), 72).copy()
    rh = pose[:, :3].copy()
    pose[:, :3] = 0.0
    translation = np.asarray(seq.metadata.get("translation", np.zeros((len(seq), 3))), dtype=np.float32)
    obj = {"poses": pose.astype(np.float32), "Rh": rh.astype(np.float32), "Th": translation,
           "shapes": np.zeros(10, np.float32)}
    write_atomically(Path(path), lambda fh: pickle.dump(obj, fh, protocol=4))
    return Path(path)


def write_phalp(seq: PoseSequence, path: Path, name: str = "video", with_bystander: bool = True) -> Path:
    """4D-Humans/PHALP tracking layout (joblib, compress=3) with the athlete and, optionally, a bystander
    who stands still at the side and is detected only in part of the frames."""
    pose = _require_smpl(seq)
    T = len(seq)
    mats = Rotation.from_rotvec(pose.reshape(-1, 3)).as_matrix().reshape(T, 24, 3, 3).astype(np.float32)
    mats[:, 0] = CAMERA_TO_WORLD @ mats[:, 0]  # back to HMR's camera frame (y down)
    bystander = Rotation.from_rotvec(np.zeros((24, 3))).as_matrix().astype(np.float32)
    bystander[0] = CAMERA_TO_WORLD.astype(np.float32)
    rng = np.random.default_rng(0)
    out = {}
    for t in range(T):
        key = f"outputs//_DEMO/{name}/img/{t + 1:06d}.jpg"
        tids, smpl, poses, boxes, times, cams = [1], [], [], [], [0], []
        entries = [(mats[t], [400.0, 200.0, 300.0, 600.0], [0.0, 0.2, 50.0])]
        if with_bystander and t % 3 != 0:
            tids.append(2)
            times.append(0)
            entries.append((bystander, [1000.0, 300.0, 120.0, 260.0], [0.6, 0.1, 90.0]))
        for m, box, cam in entries:
            smpl.append({"global_orient": m[:1].copy(), "body_pose": m[1:].copy(),
                         "betas": np.zeros(10, np.float32)})
            poses.append(np.concatenate([m.reshape(-1), np.zeros(10), np.array(cam) / [1, 1, 200]]).astype(np.float32))
            boxes.append(np.array(box, np.float32))
            cams.append(np.array(cam, np.float32))
        out[key] = {
            "time": t, "shot": 0, "frame_path": key, "tid": tids, "tracked_ids": list(tids),
            "tracked_bbox": [b.copy() for b in boxes], "tracked_time": times, "smpl": smpl, "pose": poses,
            "bbox": boxes, "camera": cams, "camera_bbox": [np.array([1.0, 0.0, 0.0], np.float32)] * len(tids),
            "conf": [float(rng.uniform(0.9, 1.0)) for _ in tids], "size": [[720, 1280]] * len(tids),
            "class_name": [0] * len(tids),
            "3d_joints": [np.zeros((45, 3), np.float32)] * len(tids),
        }
    write_atomically(Path(path), lambda fh: joblib.dump(out, fh, compress=3))
    return Path(path)


def flag3d_file_name(action_id: str, person: int, repeat: int, avatar: int = 1) -> str:
    return f"M{avatar:03d}P{person:03d}{action_id}R{repeat:03d}.pkl"


# The 17 MediaPipe landmarks a 3D body tracker fills (nose, eyes, ears, shoulders, elbows, wrists, hips, knees,
# ankles; no hand points, heels or toes): index -> canonical joint; the face points sit off the head joint
# (ahead, to the left) in metres.
TRACKED_LANDMARKS = {11: "left_shoulder", 12: "right_shoulder", 13: "left_elbow", 14: "right_elbow",
                     15: "left_wrist", 16: "right_wrist", 23: "left_hip", 24: "right_hip", 25: "left_knee",
                     26: "right_knee", 27: "left_ankle", 28: "right_ankle"}
_FACE_LANDMARKS = {0: (0.09, 0.0), 2: (0.07, 0.03), 5: (0.07, -0.03), 7: (0.0, 0.07), 8: (0.0, -0.07)}


def write_tracker_csv(seq: PoseSequence, path: Path) -> Path:
    """A pose sequence as a 3D body tracker's takes are often stored: MediaPipe's wide landmark CSV (frame, then
    x, y, z, visibility of landmarks 0-32) in MediaPipe's axes (y down, z away from the camera), the origin at
    the hip centre, only the 17 body landmarks filled (the other cells empty)."""
    from gyml.pose.readers.mediapipe_landmarks import MEDIAPIPE_TO_WORLD
    from gyml.pose.skeleton import JOINT, body_frame

    j = np.asarray(seq.joints, dtype=np.float64)
    points = np.full((len(j), 33, 3), np.nan)
    for index, name in TRACKED_LANDMARKS.items():
        points[:, index] = j[:, JOINT[name]]
    _, left, ahead = body_frame(j)
    for index, (forward, leftward) in _FACE_LANDMARKS.items():
        points[:, index] = j[:, JOINT["head"]] + forward * ahead + leftward * left
    points -= 0.5 * (points[:, 23:24] + points[:, 24:25])
    points *= MEDIAPIPE_TO_WORLD   # its own inverse: y down, z away from the camera
    points[~seq.present] = np.nan   # a frame without a person: an empty row

    def write(fh) -> None:
        fh.write(",".join(["frame"] + [f"{a}{k}" for k in range(33) for a in "xyzv"]) + "\n")
        for t, frame in enumerate(points):
            cells = [str(t)]
            for p in frame:
                cells += [""] * 4 if np.isnan(p).any() else [f"{p[0]:.4f}", f"{p[1]:.4f}", f"{p[2]:.4f}", "1"]
            fh.write(",".join(cells) + "\n")

    write_atomically(path, write, mode="w")
    return path

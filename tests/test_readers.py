import csv

import numpy as np
import pytest
from conftest import shared_path

from gyml.errors import GymlError
from gyml.pose.readers import read_pose, sniff_format
from gyml.pose.readers.flag3d import parse_flag3d_name
from gyml.pose.skeleton import normalized_joints
from gyml.synth import synthesize
from gyml.synth.writers import write_flag3d_smpl, write_phalp


def _same_body(a, b, tol=1e-3):
    """Same pose up to where the body stands: compare pelvis-centred joints."""
    ca = a.joints - a.joints[:, :1]
    cb = b.joints - b.joints[:, :1]
    return np.nanmax(np.abs(ca - cb)) < tol


def test_flag3d_smpl_round_trip(tmp_path):
    seq = synthesize("lunge", 3, seed=4, config=None)
    path = write_flag3d_smpl(seq, tmp_path / "M001P002A046R001.pkl")
    back = read_pose(path)
    assert back.source == "flag3d" and len(back) == len(seq)
    assert back.metadata["flag3d"]["label"] == 45
    clean = synthesize("lunge", 3, seed=4)
    clean_joints = clean.joints  # noise is in the joints, not the SMPL parameters: compare to FK of the same
    from gyml.pose.skeleton import forward_kinematics, rest_offsets
    v = seq.metadata["variation"]
    fk = forward_kinematics(seq.smpl_pose, None, rest_offsets())
    assert np.allclose(back.joints - back.joints[:, :1], fk - fk[:, :1], atol=1e-4)
    assert clean_joints.shape == back.joints.shape and v["height"] > 1.5


def test_phalp_reader_follows_the_athlete_not_the_bystander(tmp_path):
    seq = synthesize("squat", 3, seed=1)
    path = write_phalp(seq, tmp_path / "demo_squat_phalp.pkl")
    assert sniff_format(path) == "pickle"
    back = read_pose(path)
    assert back.source == "phalp" and back.metadata["track_id"] == 1
    ref = seq.smpl_pose
    from gyml.pose.skeleton import forward_kinematics
    fk = forward_kinematics(ref)
    assert np.allclose(normalized_joints(back.joints), normalized_joints(fk), atol=1e-3)


def test_phalp_falls_back_to_pose_vectors(tmp_path):
    import joblib

    from gyml.pose.safe_pickle import safe_load

    seq = synthesize("squat", 2, seed=1)
    path = write_phalp(seq, tmp_path / "a_phalp.pkl", with_bystander=False)
    obj = safe_load(path)
    for frame in obj.values():
        del frame["smpl"]
    joblib.dump(obj, tmp_path / "b.pkl", compress=3)
    a, b = read_pose(path), read_pose(tmp_path / "b.pkl")
    assert _same_body(a, b)


def test_flag3d_keypoints_map_ntu_joints(tmp_path):
    import pickle
    seq = synthesize("squat", 2, seed=3)
    j = seq.joints
    from gyml.pose.skeleton import JOINT as J
    ntu = np.zeros((len(seq), 25, 3), np.float32)
    pick = {0: "pelvis", 1: "spine2", 2: "neck", 3: "head", 4: "left_shoulder", 5: "left_elbow", 6: "left_wrist",
            7: "left_hand", 8: "right_shoulder", 9: "right_elbow", 10: "right_wrist", 11: "right_hand",
            12: "left_hip", 13: "left_knee", 14: "left_ankle", 15: "left_foot", 16: "right_hip", 17: "right_knee",
            18: "right_ankle", 19: "right_foot", 20: "spine3", 21: "left_hand", 22: "left_hand", 23: "right_hand",
            24: "right_hand"}
    for k, name in pick.items():
        ntu[:, k] = j[:, J[name]]
    obj = {"split": {"train": ["S001C001M001P001A001R001"], "val": []},
           "annotations": [{"keypoint": ntu[None], "frame_dir": "S001C001M001P001A001R001", "label": 0,
                            "total_frames": len(seq)}]}
    path = tmp_path / "flag3d_keypoint.pkl"
    path.write_bytes(pickle.dumps(obj))
    back = read_pose(path)
    assert back.source == "flag3d_keypoints" and back.metadata["label"] == 0
    for name in ("left_knee", "right_wrist", "head", "pelvis"):
        assert np.allclose(back.joints[:, J[name]], j[:, J[name]], atol=1e-5)


def test_wrong_keys_give_a_clear_error(tmp_path):
    import joblib
    joblib.dump({"hello": np.zeros(3)}, tmp_path / "x.pkl", compress=3)
    with pytest.raises(GymlError, match="not a PHALP"):
        read_pose(tmp_path / "x.pkl")
    joblib.dump({"poses": np.full((10, 72), np.nan)}, tmp_path / "n.pkl")
    with pytest.raises(GymlError, match="NaN"):
        read_pose(tmp_path / "n.pkl")


def test_unknown_empty_and_missing_files(tmp_path):
    (tmp_path / "e.npz").write_bytes(b"")
    with pytest.raises(GymlError, match="empty"):
        read_pose(tmp_path / "e.npz")
    (tmp_path / "b.bin").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(GymlError, match="unknown file format"):
        read_pose(tmp_path / "b.bin")
    with pytest.raises(GymlError, match="no such file"):
        read_pose(tmp_path / "nope.mp4")


def _mediapipe_landmarks(frames=60):
    """Plausible MediaPipe world landmarks (x right, y down, metres), arms swinging."""
    t = np.arange(frames) / 30
    base = np.zeros((33, 3))
    base[[11, 12], :] = [[0.18, -0.45, 0], [-0.18, -0.45, 0]]
    base[[23, 24], :] = [[0.1, 0, 0], [-0.1, 0, 0]]
    base[[25, 26], :] = [[0.1, 0.45, 0], [-0.1, 0.45, 0]]
    base[[27, 28, 29, 30, 31, 32], :] = [[0.1, 0.88, 0], [-0.1, 0.88, 0], [0.1, 0.9, -0.05], [-0.1, 0.9, -0.05],
                                         [0.1, 0.92, 0.1], [-0.1, 0.92, 0.1]]
    base[0] = [0, -0.65, 0.05]
    base[[7, 8]] = [[0.07, -0.62, 0], [-0.07, -0.62, 0]]
    pts = np.repeat(base[None], frames, axis=0)
    swing = 0.3 * np.sin(2 * np.pi * t)
    for side, sx in ((13, 0.2), (14, -0.2)):
        pts[:, side] = [sx, -0.2, 0] + np.stack([0 * t, -swing, swing], 1)
    for side, sx in ((15, 0.22), (16, -0.22), (17, 0.22), (18, -0.22), (19, 0.22), (20, -0.22), (21, 0.22),
                     (22, -0.22)):
        pts[:, side] = [sx, 0.05, 0] + np.stack([0 * t, -2 * swing, 2 * swing], 1)
    return pts


def test_csv_wide_and_long_layouts_agree(tmp_path):
    pts = _mediapipe_landmarks()
    wide = tmp_path / "wide.csv"
    with open(wide, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["frame"] + [f"{c}{k}" for k in range(33) for c in "xyzv"])
        for i, frame in enumerate(pts):
            w.writerow([i] + [v for p in frame for v in (*p, 0.9)])
    long = tmp_path / "long.csv"
    with open(long, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["frame", "landmark", "x", "y", "z", "visibility"])
        for i, frame in enumerate(pts):
            for k, p in enumerate(frame):
                w.writerow([i, k, *p, 0.9])
    a, b = read_pose(wide), read_pose(long)
    assert a.source == "csv" and len(a) == 60
    assert np.allclose(a.joints, b.joints)
    from gyml.pose.skeleton import JOINT
    # y down in MediaPipe becomes y up: the head is above the pelvis.
    assert (a.joints[:, JOINT["head"], 1] > a.joints[:, JOINT["pelvis"], 1]).all()


def test_csv_with_text_in_numbers_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("frame,landmark,x,y,z\n0,0,abc,1,2\n")
    with pytest.raises(GymlError, match="not a number"):
        read_pose(path)


def test_real_repcount_npy():
    folder = shared_path("repcount_pose", "dev")
    seq = read_pose(folder / "stu10_25.npy")
    raw = np.load(folder / "stu10_25.npy")
    assert len(seq) == len(raw) and seq.source == "repcount"
    empty = np.abs(raw[:, :99]).sum(axis=1) == 0
    assert np.array_equal(~seq.present, empty)


def test_flag3d_names_parse():
    assert parse_flag3d_name("S002C002M001P002A057R003")["label"] == 56
    assert parse_flag3d_name("M010P003A001R002.pkl") == {"avatar": 10, "person": 3, "action": 1, "repeat": 2,
                                                         "label": 0}
    assert parse_flag3d_name("video.pkl") is None

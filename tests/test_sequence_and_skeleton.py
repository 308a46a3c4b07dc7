import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from gyml.errors import GymlError
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import (
    ANGLE_NAMES,
    JOINT,
    PARENTS,
    forward_kinematics,
    joint_angles,
    rest_offsets,
    rotation_matrices_to_axis_angle,
)
from gyml.synth import synthesize


def test_npz_round_trip_keeps_everything(tmp_path):
    seq = synthesize("push_up", 3, seed=2)
    path = seq.save(tmp_path / "p.npz")
    back = PoseSequence.load(path)
    assert np.allclose(back.joints, seq.joints, equal_nan=True)
    assert np.allclose(back.smpl_pose, seq.smpl_pose)
    assert back.fps == seq.fps and back.source == "synth"
    assert back.metadata["exercise"] == "push_up"


def test_npz_never_uses_pickle(tmp_path):
    seq = synthesize("squat", 2, seed=0)
    path = seq.save(tmp_path / "s.npz")
    with np.load(path, allow_pickle=False) as data:  # raises if anything inside needs pickle
        assert "joints" in data.files


def test_bad_shapes_are_refused():
    with pytest.raises(GymlError):
        PoseSequence(np.zeros((5, 10, 3)), np.ones((5, 10)), 30)
    with pytest.raises(GymlError):
        PoseSequence(np.zeros((5, 24, 3)), np.ones((5, 24)), 0)


def test_forward_kinematics_keeps_bone_lengths():
    rng = np.random.default_rng(0)
    pose = rng.normal(0, 0.5, (20, 24, 3))
    offsets = rest_offsets(1.8)
    joints = forward_kinematics(pose, None, offsets)
    for j in range(1, 24):
        lengths = np.linalg.norm(joints[:, j] - joints[:, PARENTS[j]], axis=1)
        assert np.allclose(lengths, np.linalg.norm(offsets[j]), atol=1e-5)


def test_rotation_matrices_round_trip_to_axis_angle():
    rotvec = np.random.default_rng(1).normal(0, 0.8, (50, 3))
    mats = Rotation.from_rotvec(rotvec).as_matrix()
    back = rotation_matrices_to_axis_angle(mats)
    assert np.allclose(Rotation.from_rotvec(back).as_matrix(), mats, atol=1e-5)


def test_joint_angles_measure_a_bent_knee():
    pose = np.zeros((1, 24, 3))
    pose[0, JOINT["left_knee"]] = [np.radians(90), 0, 0]
    angles = joint_angles(forward_kinematics(pose))
    assert angles[0, ANGLE_NAMES.index("left_knee_flexion")] == pytest.approx(90, abs=2)  # the rest shank is tilted 1.4 degrees
    assert angles[0, ANGLE_NAMES.index("right_knee_flexion")] == pytest.approx(0, abs=2)
    assert angles[0, ANGLE_NAMES.index("trunk_inclination")] < 10


def test_joint_angles_do_not_depend_on_camera_yaw_or_body_size():
    a = synthesize("squat", 3, seed=5)
    joints = a.joints.astype(np.float64)
    turned = Rotation.from_euler("y", 70, degrees=True).apply(joints.reshape(-1, 3)).reshape(joints.shape) * 1.2
    assert np.allclose(joint_angles(joints), joint_angles(turned), atol=1e-2)


def test_knee_out_is_negative_when_the_knees_cave():
    from gyml.synth.motion import SynthConfig, synthesize

    seq = synthesize("squat", 3, {2: "knees_cave"}, seed=0, config=SynthConfig(randomize=False, noise_m=0))
    angles = joint_angles(seq.joints)
    knee_out = [ANGLE_NAMES.index("left_knee_out"), ANGLE_NAMES.index("right_knee_out")]
    clean_mid, caved_mid = seq.metadata["segments"][0]["mid"], seq.metadata["segments"][1]["mid"]
    assert (angles[clean_mid, knee_out] > 3).all()
    assert (angles[caved_mid, knee_out] < -3).all()
    # standing with straight legs, the knee is on the hip-ankle line
    assert np.abs(angles[0, knee_out]).max() < 3

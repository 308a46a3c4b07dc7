"""RepCount-like twins (gyml.pose.sensor_twin): synthesised and real motion through RepCount-pose's sensor
model and read path."""

import numpy as np
import pytest

from gyml.pose.kinematics import Kinematics
from gyml.pose.readers import read_pose
from gyml.pose.sensor_twin import Camera, SensorNoise, landmarks_from_joints, minmax_per_axis, repcount_twin
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import ANGLE_NAMES, JOINT
from gyml.synth.motion import SynthConfig, synthesize
from tests.conftest import shared_path

BONES = [("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"), ("left_hip", "left_knee"),
         ("left_knee", "left_ankle"), ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip")]


def _bone_ratios(joints: np.ndarray) -> np.ndarray:
    """Each bone's median length over frames, in units of the median neck-pelvis length."""
    torso = np.nanmedian(np.linalg.norm(joints[:, JOINT["neck"]] - joints[:, JOINT["pelvis"]], axis=1))
    return np.array([np.nanmedian(np.linalg.norm(joints[:, JOINT[a]] - joints[:, JOINT[b]], axis=1))
                     for a, b in BONES]) / torso


def _median_angle(seq: PoseSequence, name: str) -> float:
    return float(np.nanmedian(Kinematics(seq).angles[:, ANGLE_NAMES.index(name)]))


def _still(seq: PoseSequence) -> PoseSequence:
    return PoseSequence(joints=seq.joints, confidence=seq.confidence, fps=seq.fps, source="synth")


@pytest.mark.parametrize("camera", [Camera(0, 0, 3.0), Camera(90, 10, 3.0), Camera(-135, 20, 4.0)])
def test_twin_keeps_body_proportions_after_the_read_path(camera):
    squat = synthesize("squat", 3, seed=2, config=SynthConfig(noise_m=0.0))
    twin = repcount_twin(squat, camera)
    assert twin.source == "repcount" and len(twin) == len(squat)
    assert twin.metadata["axis_scales_restored"]
    # what the file would hold: every frame stretched to [0, 1] on each axis
    stored = minmax_per_axis(landmarks_from_joints(squat.joints.astype(np.float64)))
    assert np.allclose(np.nanmin(stored, axis=1), 0) and np.allclose(np.nanmax(stored, axis=1), 1)
    np.testing.assert_allclose(_bone_ratios(twin.joints), _bone_ratios(squat.joints), rtol=0.2)
    # the squat's depth survives the sensor: the knee still bends past 90 degrees at the bottom
    knee = Kinematics(twin).angles[:, ANGLE_NAMES.index("left_knee_flexion")]
    assert np.nanpercentile(knee, 90) > 90 and np.nanpercentile(knee, 10) < 30


@pytest.mark.parametrize("camera", [Camera(0, 10, 3.0), Camera(90, 10, 3.0)])
def test_a_lying_body_stays_lying_and_a_standing_one_upright(camera):
    bench = synthesize("bench_press", 3, seed=1, config=SynthConfig(noise_m=0.0))
    stand = synthesize("front_raise", 3, seed=1, config=SynthConfig(noise_m=0.0))
    assert _median_angle(repcount_twin(bench, camera), "trunk_inclination") > 70
    assert _median_angle(repcount_twin(stand, camera), "trunk_inclination") < 20


def test_noise_and_dropped_frames():
    squat = synthesize("squat", 3, seed=3, config=SynthConfig(missing_rate=0.05))
    rng = np.random.default_rng(0)
    quiet = repcount_twin(squat, Camera(30, 10, 3.0))
    noisy = repcount_twin(squat, Camera(30, 10, 3.0), SensorNoise(picture=0.01, depth=0.2), rng)
    # frames the detector lost are frames without a pose in the twin too, nothing else is lost
    np.testing.assert_array_equal(quiet.present, squat.present)
    np.testing.assert_array_equal(noisy.present, squat.present)
    moved = np.nanmedian(np.linalg.norm(noisy.joints - quiet.joints, axis=2)[noisy.present])
    assert 0.001 < moved < 0.1       # metres-like (torso 0.5): noise shows but does not wreck the body


def test_a_video_twin_keeps_the_picture_landmarks_and_the_exercise():
    folder = shared_path("ucf101", "poses")
    seq = read_pose(folder / "v_BodyWeightSquats_g08_c01.npz")
    assert seq.image_landmarks is not None
    twin = repcount_twin(PoseSequence(joints=seq.joints, confidence=seq.confidence, fps=seq.fps,
                                      source="video", image_landmarks=seq.image_landmarks))
    assert twin.present.sum() >= 0.9 * seq.present.sum()
    # x and y are the picture's own (min-max per frame): the twin's picture matches the video's
    frame = int(np.flatnonzero(seq.present)[len(np.flatnonzero(seq.present)) // 2])
    picture = seq.image_landmarks[frame].astype(np.float64)
    expected = (picture - picture.min(0)) / (picture.max(0) - picture.min(0))
    np.testing.assert_allclose(twin.image_landmarks[frame], expected, atol=1e-5)
    assert _median_angle(twin, "trunk_inclination") < 40
    knee_video = np.nanpercentile(Kinematics(seq).angles[:, ANGLE_NAMES.index("left_knee_flexion")], 90)
    knee_twin = np.nanpercentile(Kinematics(twin).angles[:, ANGLE_NAMES.index("left_knee_flexion")], 90)
    assert abs(knee_twin - knee_video) < 30

"""The recogniser's "motion" features: the body's set-up (stance, left/right gaps) tells exercises apart that
the per-joint statistics mix up, and stays the same when the camera sees the body mirrored."""

from dataclasses import replace

import numpy as np

from gyml.classify.features import motion_feature_names, motion_features
from gyml.pose.kinematics import Kinematics
from gyml.synth import synthesize
from gyml.synth.motion import SynthConfig

NAMES = motion_feature_names()


def _value(x: np.ndarray, name: str) -> float:
    return float(x[NAMES.index(name)])


def _mirrored(seq):
    """The same set seen in a mirror: x flipped and the left and right joints swapped."""
    from gyml.pose.skeleton import JOINT
    joints = seq.joints.copy()
    joints[..., 0] *= -1
    order = np.arange(joints.shape[1])
    for name, k in JOINT.items():
        if name.startswith("left_"):
            order[k], order[JOINT["right_" + name[5:]]] = JOINT["right_" + name[5:]], k
    return replace(seq, joints=joints[:, order], confidence=seq.confidence[:, order])


def test_split_stance_and_leg_gaps_tell_a_lunge_from_a_squat():
    lunges = [motion_features(synthesize("lunge", 5, seed=s)) for s in range(3)]
    squats = [motion_features(synthesize("squat", 5, seed=s)) for s in range(3)]
    for name in ("feet_apart_forward:median", "asym:hip_flexion:p90"):
        assert min(_value(x, name) for x in lunges) > 2 * max(_value(x, name) for x in squats), name
    jacks = [motion_features(synthesize("jumping_jack", 5, seed=s)) for s in range(3)]
    # a jack's feet and hands travel sideways; a squat's stance holds
    assert min(_value(x, "feet_apart_sideways:range") for x in jacks) > \
        2 * max(_value(x, "feet_apart_sideways:range") for x in squats)
    assert min(_value(x, "hands_apart_sideways:range") for x in jacks) > \
        2 * max(_value(x, "hands_apart_sideways:range") for x in squats)


def test_motion_features_do_not_change_in_a_mirror_and_reuse_the_pipelines_kinematics():
    seq = synthesize("alternate_curl", 6, seed=3)
    x = motion_features(seq)
    assert len(x) == len(NAMES) and np.isfinite(x).all()
    assert np.allclose(motion_features(_mirrored(seq)), x, atol=1e-3)
    kinematics = Kinematics(seq)
    assert np.array_equal(motion_features(seq, kinematics), x)
    assert "raw_angles" in kinematics.__dict__   # taken from the handed kinematics, kept for the other stages


def test_smoothing_the_angles_calms_jitter_but_keeps_the_movement(monkeypatch):
    from gyml.classify import features

    seq = synthesize("squat", 5, seed=4, config=SynthConfig(noise_m=0.02))
    plain = motion_features(seq)
    monkeypatch.setattr(features, "ANGLE_SMOOTH_S", 0.1)
    smooth = motion_features(seq)
    # jitter makes most of a noisy recording's frame-to-frame speed; the squat's depth stays
    assert _value(smooth, "more_knee_flexion:speed") < 0.8 * _value(plain, "more_knee_flexion:speed")
    assert abs(_value(smooth, "more_knee_flexion:p90") - _value(plain, "more_knee_flexion:p90")) < 10

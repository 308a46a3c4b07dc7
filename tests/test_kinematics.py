import numpy as np

import gyml.pose.kinematics as kinematics_module
import gyml.pose.skeleton as skeleton_module
from gyml.classify.default import recognise
from gyml.coach.session import coach_session
from gyml.pipeline import analyze_sequence
from gyml.pose.kinematics import Kinematics, fill_missing
from gyml.pose.skeleton import JOINT
from gyml.reps.counter import count_reps
from gyml.synth import synthesize


def _with_gaps(seq, every=7):
    """A copy of `seq` where every `every`-th frame has nobody (a tracker losing the person)."""
    joints, conf = seq.joints.copy(), seq.confidence.copy()
    joints[::every] = np.nan
    conf[::every] = 0
    return type(seq)(joints, conf, seq.fps, source="video")


def test_fill_missing_interpolates_gaps_and_holds_the_ends():
    values = np.array([[np.nan], [1.0], [np.nan], [3.0], [np.nan]])
    valid = np.array([False, True, False, True, False])
    assert fill_missing(values, valid)[:, 0].tolist() == [1.0, 1.0, 2.0, 3.0, 3.0]


def test_a_body_without_hands_or_feet_keeps_its_other_joints():
    # a 17-keypoint source (no hands, no feet) once came out all zeros: frames were judged by every column
    seq = synthesize("plank", 3, seed=0)
    absent = [JOINT[n] for n in ("left_hand", "right_hand", "left_foot", "right_foot")]
    seq.joints[:, absent] = np.nan
    seq.confidence[:, absent] = 0
    seq.joints[5, JOINT["left_knee"]] = np.nan   # and one joint lost for a frame
    filled = Kinematics(seq).filled_joints
    body = [j for j in range(len(JOINT)) if j not in absent]
    known = np.isfinite(seq.joints[:, body]).all(axis=2)
    assert np.allclose(filled[:, body][known], seq.joints[:, body][known], atol=1e-6)
    assert np.isfinite(filled[:, body]).all() and np.isnan(filled[:, absent]).all()
    between = 0.5 * (seq.joints[4, JOINT["left_knee"]] + seq.joints[6, JOINT["left_knee"]])
    assert np.allclose(filled[5, JOINT["left_knee"]], between, atol=1e-6)


def test_analysis_derives_the_inputs_kinematics_once(monkeypatch):
    seq = _with_gaps(synthesize("squat", 6, {3: "shallow"}, seed=5))
    calls = {"angles": 0, "normalized": 0}
    real_angles, real_normalized = kinematics_module.joint_angles, kinematics_module.normalized_joints

    def angles(joints, *a, **k):
        # any copy of the input's joints counts too (the classifier once masked and re-measured them)
        calls["angles"] += joints.shape == seq.joints.shape
        return real_angles(joints, *a, **k)

    def normalized(joints):
        calls["normalized"] += joints is seq.joints
        return real_normalized(joints)

    monkeypatch.setattr(kinematics_module, "joint_angles", angles)
    monkeypatch.setattr(skeleton_module, "joint_angles", angles)
    monkeypatch.setattr(kinematics_module, "normalized_joints", normalized)
    result = analyze_sequence(seq, "squat.npz")
    assert result.reps.count >= 5
    assert calls == {"angles": 1, "normalized": 1}


def test_handed_kinematics_give_the_results_each_stage_finds_alone():
    seq = _with_gaps(synthesize("push_up", 8, {2: "hips_sag", 6: "hips_sag"}, seed=11))
    once = analyze_sequence(seq, "push_up.npz").analysis.to_dict()
    reps = count_reps(seq)
    prediction = recognise(seq)
    _, extras = coach_session(seq, reps, prediction)
    assert once["reps"] == reps.to_dict()
    assert once["exercise"] == prediction.to_dict()
    assert once["rep_metrics"] == extras["rep_metrics"]
    assert any(m["faults"] for m in once["rep_metrics"])


def test_kinematics_of_another_sequence_are_not_reused():
    a, b = synthesize("squat", 3, seed=1), synthesize("squat", 3, seed=2)
    ka = Kinematics(a)
    assert Kinematics.of(a, ka) is ka
    assert Kinematics.of(b, ka).sequence is b
    assert np.allclose(Kinematics.of(b, ka).angles, Kinematics(b).angles)

"""Cues that must be about the body, not the tracker: one arm moving less on the joints the exercise
moves, and a rep rushed only at a pace a body can take."""

from gyml.pipeline import analyze_sequence
from gyml.pose.readers import read_pose
from gyml.synth import synthesize
from tests.conftest import shared_path


def test_real_jumping_jacks_are_not_told_one_elbow_moves_less():
    # RepCount's stu3_31 and stu5_23: 33 and 32 reps were told "one arm moves less" from their elbows'
    # ranges (a few degrees of tracker noise on straight arms) before
    for name in ("stu3_31", "stu5_23"):
        seq = read_pose(shared_path("repcount_pose", "dev", f"{name}.npy"))
        analysis = analyze_sequence(seq, name, exercise="jumping_jack").analysis
        asymmetric = [f for f in analysis.feedback if f.kind == "asymmetric_arms"]
        assert all(f.joint == "shoulder" for f in asymmetric)
        assert sum(len(f.reps) for f in asymmetric) <= 0.1 * analysis.reps["count"]


def test_one_arm_raised_less_in_a_jumping_jack_is_still_found():
    seq = synthesize("jumping_jack", reps=6, faults={3: "asymmetric_arms"}, seed=2)
    analysis = analyze_sequence(seq, "jacks", exercise="jumping_jack").analysis
    found = [f for f in analysis.feedback if f.kind == "asymmetric_arms"]
    assert [f.reps for f in found] == [[3]] and found[0].joint == "shoulder"
    # the cue says which part moved unevenly (elbows and arms are told apart on a real set)
    assert "your arms move unevenly, one side " in found[0].message, found[0].message


def test_a_rep_timed_at_a_few_percent_of_the_usual_pace_is_not_called_rushed():
    # RepCount's stu9_17 and stu2_14 (front raises): tracker spikes timed as reps "moving in 3% / 4% of
    # your usual time" before
    for name in ("stu9_17", "stu2_14"):
        seq = read_pose(shared_path("repcount_pose", "dev", f"{name}.npy"))
        analysis = analyze_sequence(seq, name, exercise="front_raise").analysis
        assert analysis.extras["rep_metrics"]
        for f in analysis.feedback:
            if f.kind == "too_fast":
                percent = int(f.message.split("moving in ")[1].split("%")[0])
                assert percent >= 25, f.message


def test_a_rep_rushed_at_half_the_pace_is_still_found():
    seq = synthesize("squat", reps=6, faults={4: "too_fast"}, seed=3)
    analysis = analyze_sequence(seq, "squats", exercise="squat").analysis
    assert [f.reps for f in analysis.feedback if f.kind == "too_fast"] == [[4]]

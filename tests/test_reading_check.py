"""A body read upside down for an exercise done upright: counted, but not coached (gyml.coach.reading)."""

from dataclasses import replace

import numpy as np

from gyml.coach.reading import upside_down_warning
from gyml.pipeline import analyze_sequence
from gyml.pose.kinematics import Kinematics
from gyml.pose.sequence import PoseSequence
from gyml.synth import synthesize
from tests.conftest import shared_path


def turned_over(seq: PoseSequence) -> PoseSequence:
    """The same motion read upside down: turned 180 degrees about the left-right axis (y and z flipped)."""
    return replace(seq, joints=seq.joints * np.array([1.0, -1.0, -1.0]), smpl_pose=None)


def test_a_squat_read_upside_down_is_counted_but_not_coached():
    upright = synthesize("squat", reps=6, faults={2: "forward_lean", 4: "forward_lean"}, seed=3)
    coached = analyze_sequence(upright, "squat", exercise="squat").analysis
    assert any(f.severity == "fault" for f in coached.feedback)
    assert coached.extras["reading"] == {"upside_down_share": 0.0, "form_withheld": False}

    turned = analyze_sequence(turned_over(upright), "turned", exercise="squat").analysis
    assert turned.reps["count"] == coached.reps["count"] == 6
    assert not any(f.severity == "fault" for f in turned.feedback)
    assert turned.extras["reading"]["form_withheld"] and turned.extras["reading"]["upside_down_share"] > 0.9
    # the same JSON shape as a coached set: a client reads the keys either way
    assert turned.to_dict()["rep_metrics"] == [] and turned.to_dict()["coach"] is None
    assert set(coached.to_dict()) <= set(turned.to_dict())
    assert turned.feedback[0].message.startswith("The body was read upside down in")
    assert turned.summary == "6 reps of squat; form not coached: the body was read upside down."


def test_exercises_done_upside_down_or_unknown_are_not_warned_about():
    handstand = Kinematics(synthesize("handstand_push_up", reps=4, seed=1)).raw_angles
    assert upside_down_warning("handstand_push_up", handstand)[0] is None
    assert upside_down_warning("handstand_push_up", handstand)[1] > 0.9
    turned_squat = Kinematics(turned_over(synthesize("squat", reps=4, seed=1))).raw_angles
    assert upside_down_warning("squat", turned_squat)[0] is not None
    assert upside_down_warning("my_own_move", turned_squat)[0] is None   # posture unknown: not judged
    assert upside_down_warning("squat", np.full((5, turned_squat.shape[1]), np.nan)) == (None, None)


def test_lying_and_upright_real_bodies_read_right_are_coached():
    push_up = PoseSequence.load(shared_path("ucf101", "poses", "v_PushUps_g11_c01.npz"))
    squat = PoseSequence.load(shared_path("ucf101", "poses", "v_BodyWeightSquats_g08_c01.npz"))
    for seq, exercise in ((push_up, "push_up"), (squat, "squat")):
        analysis = analyze_sequence(seq, exercise, exercise=exercise).analysis
        assert analysis.extras["reading"]["form_withheld"] is False
        assert "rep_metrics" in analysis.extras


def test_real_lunges_read_upside_down_are_not_coached():
    # lunges with a log held overhead, filmed from behind: MediaPipe read the whole body upside down
    seq = PoseSequence.load(shared_path("ucf101", "poses", "v_Lunges_g13_c01.npz"))
    analysis = analyze_sequence(seq, "lunges", exercise="lunge").analysis
    assert analysis.extras["reading"]["form_withheld"] is True
    assert analysis.reps["count"] > 0
    assert [f.severity for f in analysis.feedback].count("fault") == 0


def test_the_live_coach_does_not_coach_a_body_read_upside_down():
    from gyml.reps.live import LiveCoach

    upright = synthesize("squat", reps=4, faults={2: "forward_lean", 3: "forward_lean"}, seed=5)
    cues = {}
    for name, seq in (("upright", upright), ("turned", turned_over(upright))):
        coach = LiveCoach(exercise="squat")
        events = []
        for i in range(len(seq)):
            events += coach.add(i / seq.fps, seq.joints[i], seq.confidence[i])
        events += coach.finish()
        cues[name] = [e for e in events if e.kind == "cue"]
    assert any(c.severity == "fault" for c in cues["upright"])
    assert len(cues["turned"]) == len(cues["upright"]) == 4
    assert all(c.severity == "warn" and "upside down" in c.message for c in cues["turned"])


def test_the_warning_names_an_exercise_with_its_article():
    # "which a alternate reverse lunge never is" (UCF101's Lunges_g13, named as a lunge)
    turned = Kinematics(turned_over(synthesize("squat", reps=4, seed=1))).raw_angles
    assert "which an alternate reverse lunge never is" in upside_down_warning("lunge", turned)[0]
    assert "which a squat never is" in upside_down_warning("squat", turned)[0]


def _rep_read_upside_down(seq: PoseSequence, start: int, end: int) -> PoseSequence:
    """`seq` with the frames start..end mirrored top to bottom about the pelvis: a tracker that lost the head."""
    joints = seq.joints.copy()
    pelvis_y = joints[start:end + 1, :1, 1]
    joints[start:end + 1, :, 1] = 2 * pelvis_y - joints[start:end + 1, :, 1]
    return replace(seq, joints=joints)


def _coached(seq: PoseSequence, label: str, reps):
    from gyml.coach.session import coach_session
    from gyml.report.analysis import ExercisePrediction
    from gyml.synth.catalog import CATALOG

    feedback, extras = coach_session(seq, reps, ExercisePrediction(label, CATALOG[label].name, 1.0))
    faulty = {m["rep"] for m in extras["rep_metrics"] if m["faults"]}
    return faulty, feedback


def test_a_rep_read_upside_down_gets_no_form_cue_and_the_feedback_says_why():
    """RepCount's stu7_10 (a bench press whose reading flips on reps 4-5) was told "one arm moves 93° less than
    the other" on such a rep; the rest of the set is coached as before."""
    from gyml.reps.counter import count_reps
    from gyml.synth import SynthConfig

    seq = synthesize("squat", 6, {2: "shallow", 5: "shallow"}, seed=2,
                     config=SynthConfig(randomize=False, noise_m=0.004))
    reps = count_reps(seq)
    rep5 = reps.segments[4]
    faulty, _ = _coached(seq, "squat", reps)
    assert faulty == {2, 5}
    faulty, feedback = _coached(_rep_read_upside_down(seq, rep5.start, rep5.end), "squat", reps)
    assert faulty == {2}
    note = [f for f in feedback if f.severity == "info" and "read upside down" in f.message]
    assert note and note[0].reps == [5] and note[0].message.startswith("Rep 5: ")
    praised = [f for f in feedback if "good form" in f.message or "matched the reference" in f.message]
    assert praised and 5 not in praised[0].reps


def test_a_face_down_rep_read_past_upright_keeps_its_cues():
    """A push-up lies at 90 degrees; one camera's depth error tips real ones past 135 while their faults are
    real (labelled wrong push-ups), so a face-down exercise is not withheld rep by rep."""
    from gyml.coach.compare import measure_reps
    from gyml.coach.reading import read_upside_down
    from gyml.reps.counter import count_reps

    seq = synthesize("squat", 4, seed=3)
    reps = count_reps(seq)
    flipped = _rep_read_upside_down(seq, reps.segments[1].start, reps.segments[1].end)
    measured = measure_reps(flipped, reps)
    assert read_upside_down(measured, "standing") == [2]
    assert read_upside_down(measured, "prone") == [] and read_upside_down(measured, "inverted") == []
    assert read_upside_down(measured, None) == []


def test_a_real_push_up_whose_body_line_reads_folded_gets_no_form_cue_and_the_feedback_says_why():
    """UCF101 PushUps g11 c04 was told "hips sag 125°" on a rep whose legs the pose model lost: no push-up
    bends so far. The rep's form is withheld with a note; the set's other reps keep their cues."""
    seq = PoseSequence.load(shared_path("ucf101", "poses", "v_PushUps_g11_c04.npz"))
    a = analyze_sequence(seq, "g11c04", exercise="push_up").analysis
    sag = [f for f in a.feedback if f.kind in ("hips_sag", "hips_pike")]
    assert all(float(f.message.split("°")[0].split()[-1]) <= 90 for f in sag), [f.message for f in sag]
    note = [f for f in a.feedback if f.severity == "info" and "body line was read bent" in f.message]
    assert note and note[0].reps, [f.message for f in a.feedback]
    assert not any(f.severity == "fault" and set(f.reps) & set(note[0].reps) for f in a.feedback)


def test_folded_body_lines_are_found_from_the_findings():
    from gyml.coach.compare import Finding
    from gyml.coach.reading import folded_reps

    findings = [Finding(1, "hips_sag", "mid", "hip", 125.0), Finding(2, "hips_sag", "mid", "hip", 30.0),
                Finding(3, "hips_pike", "mid", "hip", 95.0), Finding(4, "knees_bent", "mid", "knee", 120.0)]
    assert folded_reps(findings) == [1, 3]

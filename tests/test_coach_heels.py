"""Heels that rise in a squat (`heels_rise`): planted on synthesised squats it is told on the reps it was
planted on, a clean set is quiet, feet out of view are said rather than judged, and with a gold the gold's own
heels are the reference."""

from __future__ import annotations

import numpy as np
import pytest

from gyml.coach.session import coach_faults, coach_session
from gyml.pipeline import analyze_sequence
from gyml.pose.readers import read_pose
from gyml.pose.skeleton import JOINT
from gyml.report.analysis import ExercisePrediction
from gyml.reps.counter import count_reps
from gyml.synth.catalog import CATALOG
from gyml.synth.motion import synthesize
from tests.conftest import shared_path

PLANTED = {3: "heels_rise", 6: "heels_rise"}


def _coach(seq, label="squat", gold=None):
    feedback, extras = coach_session(seq, count_reps(seq, "gyml"),
                                     ExercisePrediction(label, CATALOG[label].name, 1.0), gold=gold)
    told = {m["rep"] for m in extras["rep_metrics"] if "heels_rise" in m["faults"]}
    return told, feedback


@pytest.mark.parametrize("label", ["squat", "sumo_squat"])
def test_heels_rise_is_checked_for_squats(label):
    assert "heels_rise" in coach_faults(label)
    assert "heels_rise" not in coach_faults("lunge")   # a lunge's rear heel rises by design


def test_planted_heels_rise_is_told_on_its_reps_with_a_cue_and_a_fix():
    told, feedback = _coach(synthesize("squat", 8, PLANTED, seed=0))
    assert told == {3, 6}
    cue = next(f for f in feedback if f.kind == "heels_rise")
    assert cue.reps == [3, 6] and cue.severity == "fault" and cue.phase == "mid"
    assert "heels lift off the floor" in cue.message and "keep your heels down" in cue.message


def test_heels_rise_in_the_json_reps_list():
    a = analyze_sequence(synthesize("squat", 8, PLANTED, seed=0), "set", exercise="squat").analysis.to_dict()
    heels = [f for f in a["feedback"] if f["kind"] == "heels_rise"]
    assert heels and heels[0]["reps"] == [3, 6]
    assert [m["rep"] for m in a["rep_metrics"] if "heels_rise" in m["faults"]] == [3, 6]


@pytest.mark.parametrize("label", ["squat", "sumo_squat"])
def test_a_clean_set_keeps_its_heels_quiet(label):
    from gyml.coach.geometry import HEELS_TOLERANCE, heel_rise

    for seed in range(3):
        seq = synthesize(label, 8, seed=seed)
        counted = count_reps(seq, "gyml")
        # its feet tip with the shins, well within the tolerance, and every rep is judged
        rises, _ = heel_rise(seq.joints, seq.confidence, [(s.index, s.start, s.end) for s in counted.segments])
        assert all(r is not None and abs(r) < HEELS_TOLERANCE for r in rises)
        told, feedback = _coach(seq, label)
        assert not told
        assert not any("heels" in f.message.lower() for f in feedback)


def test_feet_out_of_view_are_not_judged_and_the_feedback_says_so():
    seq = synthesize("squat", 8, PLANTED, seed=0)
    for name in ("left_foot", "right_foot"):
        seq.confidence[:, JOINT[name]] = 0.0
        seq.joints[:, JOINT[name]] = np.nan
    told, feedback = _coach(seq)
    assert not told
    note = [f for f in feedback if f.message.startswith("Heels not checked")]
    assert len(note) == 1 and note[0].severity == "info" and note[0].reps == list(range(1, 9))


def test_one_foot_seen_is_enough_to_judge():
    seq = synthesize("squat", 8, PLANTED, seed=0)
    seq.confidence[:, JOINT["left_foot"]] = 0.2   # below the pose model's "visible"
    told, feedback = _coach(seq)
    assert told == {3, 6}
    assert not any(f.message.startswith("Heels not checked") for f in feedback)


def test_with_a_gold_its_own_heels_are_the_reference():
    rising = synthesize("squat", 8, PLANTED, seed=0)
    clean_gold = synthesize("squat", 6, seed=11)
    told, feedback = _coach(rising, gold=clean_gold)
    # a gold whose heels stay down: the person is held to their own standing, as without one
    assert told == {3, 6}
    assert "heels lift off the floor" in next(f for f in feedback if f.kind == "heels_rise").message
    # a gold whose own heels rise as far: the same rise is no fault against it
    rising_gold = synthesize("squat", 6, {r: "heels_rise" for r in range(1, 7)}, seed=11)
    told, _ = _coach(rising, gold=rising_gold)
    assert not told
    # a rise past such a gold's own is told against it, in its words
    from gyml.coach.feedback import phrase
    from gyml.coach.geometry import heel_findings

    found = heel_findings([0.09, 0.2], [1, 2], leg=0.9, reference=0.08, against="gold")
    assert [f.rep for f in found] == [2] and abs(found[0].value - 100 * 0.12 * 0.9) < 1e-9
    assert "further off the floor than in your reference" in phrase(found, "squat", 2)[0].message


def test_real_ucf101_squats_keep_their_heels_quiet():
    """UCF101 squats presumed heels down, one clip of each group (the threshold was set on all of them)."""
    folder = shared_path("ucf101", "poses")
    clips = [folder / f"v_BodyWeightSquats_g{g:02d}_c01.npz" for g in range(8, 16)]
    clips = [c for c in clips if c.exists()]
    assert clips
    for clip in clips:
        a = analyze_sequence(read_pose(clip), clip.name, exercise="squat").analysis
        assert not any(f.kind == "heels_rise" for f in a.feedback), clip.name

"""Holds: timed, and their posture coached over time with the moments in seconds."""

import dataclasses
import json

import numpy as np
import pytest
from conftest import shared_path
from typer.testing import CliRunner

from gyml.cli import app
from gyml.coach.holds import checks_for, coach_hold, hold_feedback
from gyml.pipeline import analyze_sequence
from gyml.pose.layouts import mark_absent_joints
from gyml.pose.readers import read_pose
from gyml.pose.skeleton import JOINT
from gyml.synth import CATALOG, SynthConfig, synthesize


def _hold(label, seed=4, **rest):
    spec = CATALOG[label]
    if rest:
        spec = dataclasses.replace(spec, rest={**spec.rest, **rest})
    return synthesize(spec, 4, seed=seed, config=SynthConfig(noise_m=0.01))


@pytest.mark.parametrize("label", ["plank", "side_plank", "wall_sit"])
def test_a_clean_synthesised_hold_is_timed_and_quiet(label):
    seq = _hold(label)
    a = analyze_sequence(seq, "x", exercise=label).analysis
    hold = a.extras["hold"]
    assert a.reps["count"] == 0 and a.reps["method"] == "hold"
    assert hold["time_under_tension_s"] > 0.8 * seq.duration
    assert hold["segments"] == [] and hold["good_form_s"] == hold["time_under_tension_s"]
    assert all(f.severity == "info" for f in a.feedback)
    assert "no form faults" in a.summary


@pytest.mark.parametrize("label,change,fault", [
    ("plank", {"hip_flex_l": -35, "hip_flex_r": -35}, "hips_sag"),
    ("plank", {"hip_flex_l": 40, "hip_flex_r": 40}, "hips_pike"),
    ("plank", {"neck_flex": 40}, "head_dropped"),
    ("wall_sit", {"hip_flex_l": 55, "hip_flex_r": 55, "knee_l": 55, "knee_r": 55}, "hips_high"),
    ("wall_sit", {"spine_flex": 35}, "back_off_wall"),
    ("side_plank", {"hip_abd_l": 25, "hip_abd_r": -25}, "hips_drop"),
    ("side_plank", {"hip_flex_l": 35, "hip_flex_r": 35}, "hips_pike"),
    ("side_plank", {"sh_elev_r": 55}, "shoulders_ahead"),
    ("wall_sit", {"hip_flex_l": 120, "hip_flex_r": 120, "knee_l": 120, "knee_r": 120}, "hips_low"),
    ("wall_sit", {"knee_l": 120, "knee_r": 120}, "knees_ahead"),
    ("wall_sit", {"knee_l": 60, "knee_r": 60}, "feet_ahead"),
])
def test_a_planted_posture_fault_is_found_over_the_hold(label, change, fault):
    report = coach_hold(_hold(label, **change), label)
    assert report.fault_share(fault) > 0.8
    message = next(f.message for f in hold_feedback(report) if f.severity in ("warn", "fault"))
    assert " s to " in message


def test_a_holds_moments_follow_a_variable_rate_videos_own_timestamps():
    # the same frames, the second half filmed at half the rate: seconds are where a player shows them
    seq = _hold("plank", hip_flex_l=-35, hip_flex_r=-35)
    gaps = np.where(np.arange(len(seq)) < len(seq) // 2, 1.0, 2.0) / seq.fps
    stamps = np.r_[0.0, np.cumsum(gaps[:-1])]
    plain = coach_hold(seq, "plank")
    timed = coach_hold(dataclasses.replace(seq, times=stamps), "plank")
    assert timed.time_under_tension_s > 1.3 * plain.time_under_tension_s
    assert timed.end_s == pytest.approx(timed.start_s + timed.time_under_tension_s)
    assert plain.end_s < stamps[-1] - 1.0 < timed.end_s <= stamps[-1] + 2.0 / seq.fps
    assert timed.fault_share("hips_sag") > 0.8 and timed.segments[-1].end_s > plain.segments[-1].end_s + 1.0


@pytest.mark.parametrize("change,fault", [
    ({"knee_l": 60, "knee_r": 60}, "feet_ahead"),       # thighs level, shins slanting forward to the feet
    ({"knee_l": 120, "knee_r": 120}, "knees_ahead"),    # thighs level, knees past the ankles
    ({"hip_flex_l": 55, "hip_flex_r": 55, "knee_l": 55, "knee_r": 55}, "hips_high"),  # shins upright
])
def test_a_wall_sit_fault_is_named_alone(change, fault):
    # the knee's bend changes in all three; only the part of the body that moved is named
    report = coach_hold(_hold("wall_sit", **change), "wall_sit")
    assert {s.fault for s in report.segments} == {fault}


def test_checks_needing_an_absent_joint_are_skipped_and_said(tmp_path):
    seq = _hold("plank")
    seq.joints[:, JOINT["head"]] = np.nan
    seq.confidence[:, JOINT["head"]] = 0
    mark_absent_joints(seq)
    report = coach_hold(seq, "plank")
    assert set(report.skipped) == {"head_dropped", "head_raised"}
    notes = [f.message for f in hold_feedback(report) if f.severity == "info"]
    assert any("head dropped (needs head)" in n for n in notes)


def test_no_hold_in_a_set_of_squats():
    a = analyze_sequence(synthesize("squat", 5, seed=1), "x", exercise="plank").analysis
    assert a.extras["hold"]["start_s"] is None
    assert a.summary == "No plank hold found."


BODYWEIGHT_FPS = 60.0


def _take(name):
    return read_pose(shared_path("bodyweight_mistakes", f"plank_{name}.csv"), fps=BODYWEIGHT_FPS)


@pytest.mark.parametrize("take,fault", [("butt_low", "hips_sag"), ("head_high", "head_raised")])
def test_real_plank_takes_get_their_named_fault_against_the_good_take(take, fault):
    report = coach_hold(_take(take), "plank", gold=_take("good"))
    assert report.reference == "gold"
    assert report.time_under_tension_s > 25
    assert report.fault_share(fault) > 0.5


def test_real_good_plank_is_quiet_against_its_other_half():
    good = _take("good")
    half = len(good) // 2
    report = coach_hold(good.slice(0, half), "plank", gold=good.slice(half, len(good)))
    assert report.time_under_tension_s > 12 and report.segments == []


def test_real_good_plank_is_quiet_against_the_built_in_plank_and_every_told_stretch_exceeds_its_limit():
    # the good take was told "shoulders ahead" for 1.6 s whose median deviation (14 degrees) was inside
    # the limit (15): a stretch joined across its gaps is told only when it is typically past the limit
    assert coach_hold(_take("good"), "plank").segments == []
    for take in ("bad", "head_low"):
        report = coach_hold(_take(take), "plank")
        limits = {c.fault: c.tolerance for c in checks_for("plank")[1]}
        assert report.segments and all(s.deviation > limits[s.fault] for s in report.segments)


def test_cli_analyze_of_a_real_plank_writes_a_hold_block(tmp_path):
    path = shared_path("bodyweight_mistakes", "plank_head_low.csv")
    out = tmp_path / "a.json"
    page = tmp_path / "a.html"
    result = CliRunner().invoke(app, ["analyze", str(path), "--fps", "60", "--json", str(out), "--report", str(page)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["exercise"]["label"] == "plank" and data["reps"]["count"] == 0
    hold = data["hold"]
    assert {"start_s", "end_s", "time_under_tension_s", "good_form_s", "segments"} <= set(hold)
    assert any(s["fault"] == "head_dropped" and s["end_s"] - s["start_s"] > 15 for s in hold["segments"])
    cue = next(f for f in data["feedback"] if "Head dropped" in f["message"])
    assert cue["phase"] == "overall" and " s to " in cue["message"]
    assert "under tension" in page.read_text() and "head dropped" in page.read_text()


def _joined(*parts):
    from gyml.pose.sequence import PoseSequence

    return PoseSequence(np.concatenate([p.joints for p in parts]), np.concatenate([p.confidence for p in parts]),
                        parts[0].fps, source="synth")


@pytest.mark.parametrize("order", ["after", "before"])
def test_a_plank_beside_push_ups_in_one_recording_is_timed_and_the_reps_still_counted(order, tmp_path):
    # before, a recording of push-ups and a plank said "6 reps of push-up" and nothing of the plank
    from gyml.report.html import render_report

    config = SynthConfig(noise_m=0.003)
    push = synthesize(CATALOG["push_up"], 6, seed=12, config=config)
    spec = CATALOG["plank"]
    sagging = synthesize(dataclasses.replace(spec, rest={**spec.rest, "hip_flex_l": -35, "hip_flex_r": -35}), 4,
                         seed=12, config=config)   # the same body, its hips sagging
    plank = synthesize(spec, 4, seed=12, config=config)
    clean = analyze_sequence(_joined(push, plank) if order == "after" else _joined(plank, push), "circuit").analysis
    assert clean.exercise.label == "push_up" and clean.reps["count"] == 6
    assert [(h["when"], h["exercise"], h["segments"]) for h in clean.extras["holds_beside_reps"]] == \
        [(order, "plank", [])]
    seq = _joined(push, sagging) if order == "after" else _joined(sagging, push)
    result = analyze_sequence(seq, "circuit")
    a = result.analysis
    # the reps counted on the set's own frames: on the whole recording the long sagging hold turned the
    # counter's idea of where a push-up rests, and a rep was lost (5)
    assert a.exercise.label == "push_up" and a.reps["count"] == 6
    [hold] = a.extras["holds_beside_reps"]
    for segment in a.reps["segments"]:   # and none of them inside the hold
        assert not hold["start_s"] + 1.5 < segment["mid"] / seq.fps < hold["end_s"] - 1.5, segment
    assert hold["when"] == order and hold["exercise"] == "plank"
    began = push.duration if order == "after" else 0.0
    assert began - 2.5 < hold["start_s"] < began + 1.0
    assert sagging.duration - 1.0 < hold["time_under_tension_s"] < sagging.duration + 2.5
    said = "After the reps: plank held" if order == "after" else "Before the reps: plank held"
    assert said in a.summary, a.summary
    assert any(f.message.startswith(f"Plank {order} the reps: held from") for f in a.feedback)
    # its fault, in the recording's seconds
    [sag] = [s for s in hold["segments"] if s["fault"] == "hips_sag"]
    assert abs(sag["start_s"] - began) < 1.5 and abs(sag["end_s"] - (began + sagging.duration)) < 1.5, sag
    assert any(f.kind == "hips_sag" and f.message.startswith(f"Plank {order} the reps: hips sagged from "
                                                             f"{sag['start_s']:.1f} s") for f in a.feedback)
    page = render_report(result)
    assert f"<b>Plank {order} the reps</b>" in page


def test_no_hold_is_found_beside_a_rep_set_that_ends_standing_still():
    squats = synthesize(CATALOG["squat"], 6, seed=3, config=SynthConfig(noise_m=0.003))
    rng = np.random.default_rng(0)
    n = int(8 * squats.fps)
    still = squats.joints[-1:] + rng.normal(0, 0.004, (n, *squats.joints.shape[1:]))
    from gyml.pose.sequence import PoseSequence

    standing = PoseSequence(still.astype(np.float32), np.repeat(squats.confidence[-1:], n, 0), squats.fps,
                            source="synth")
    a = analyze_sequence(_joined(squats, standing), "squats").analysis
    assert a.reps["count"] == 6 and "holds_beside_reps" not in a.extras


def test_a_clean_holds_report_says_so_instead_of_an_empty_fault_table():
    from gyml.report.html import render_report
    from gyml.synth import SynthConfig, synthesize
    seq = synthesize("plank", 1, {}, seed=2, config=SynthConfig(randomize=False, noise_m=0.003))
    result = analyze_sequence(seq, "plank.npz", exercise="plank")
    assert not result.analysis.extras["hold"]["segments"]
    page = render_report(result, None)
    assert "No posture fault over the hold." in page and "<th>fault</th>" not in page


def test_no_reps_of_a_guessed_exercise_reads_as_one_sentence():
    from gyml.pipeline import _summary
    from gyml.report.analysis import ExercisePrediction
    from gyml.reps.counter import RepCount
    guess = ExercisePrediction("pull_up", "Pull-up", 0.44, guess=True)
    text = _summary(guess, RepCount(0, "gyml", [], np.zeros(10)), [], [])
    assert text == "No repetitions found in what looks like a pull-up (44%, a guess)."

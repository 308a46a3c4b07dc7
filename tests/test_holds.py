"""Holds: timed, and their posture coached over time with the moments in seconds."""

import dataclasses
import json

import numpy as np
import pytest
from conftest import shared_path
from typer.testing import CliRunner

from gyml.cli import app
from gyml.coach.holds import coach_hold, hold_feedback
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

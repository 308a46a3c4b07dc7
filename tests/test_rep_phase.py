"""Reps counted from their turning point (half a cycle off the gold's) are coached from their rest."""

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gyml.coach import compare
from gyml.coach import gold as gold_library
from gyml.coach.compare import in_phase_segments, in_phase_with_gold, measure_reps, watched_columns
from gyml.coach.session import coach_session
from gyml.pipeline import _coach, analyze_sequence
from gyml.pose.kinematics import Kinematics
from gyml.pose.readers import read_pose
from gyml.report.analysis import ExercisePrediction
from gyml.reps.counter import RepSegment, count_reps
from gyml.synth import synthesize
from gyml.synth.catalog import CATALOG
from tests.conftest import reps_cut_at_the_top, shared_path


def _opening(exercise: str) -> tuple[np.ndarray, np.ndarray, list]:
    gold = gold_library.builtin(exercise)
    kin = Kinematics(gold)
    measures = measure_reps(gold, count_reps(gold, kinematics=kin), kinematics=kin)
    return np.median([kin.angles[r.start] for r in measures], axis=0), kin.angles, measures


def test_reps_in_phase_are_left_alone_and_shifted_ones_turn_where_the_counter_cut_them():
    seq = synthesize("jumping_jack", reps=6, seed=4)
    angles = Kinematics(seq).angles
    opening, _, _ = _opening("jumping_jack")
    columns = watched_columns(CATALOG["jumping_jack"].moving)
    truth = [RepSegment(k + 1, s["start"], s["mid"], s["end"]) for k, s in enumerate(seq.metadata["segments"])]
    assert in_phase_segments(angles, truth, opening, columns) is truth

    shifted = reps_cut_at_the_top(seq).segments
    recut = in_phase_segments(angles, shifted, opening, columns)
    assert recut is not shifted and len(recut) == len(shifted)
    assert [s.mid for s in recut] == [s.end for s in shifted]           # turning where the counter cut
    rests = [s["end"] for s in seq.metadata["segments"]]                 # the true rests between reps
    assert all(min(abs(s.start - r) for r in rests) <= 10 for s in recut)
    assert all(a.end == b.start for a, b in pairwise(recut))


def test_a_set_counted_from_the_top_is_not_told_it_moves_too_little(monkeypatch):
    seq = synthesize("jumping_jack", reps=6, seed=4)
    kinematics = Kinematics(seq)
    shifted = reps_cut_at_the_top(seq)
    named = ExercisePrediction("jumping_jack", "Jumping Jack", 1.0)
    feedback, extras = coach_session(seq, shifted, named, kinematics=kinematics)
    assert not [f for f in feedback if f.severity == "fault"], [f.message for f in feedback]
    assert len(extras["rep_metrics"]) == shifted.count
    assert min(m["range_of_motion_deg"]["shoulder"] for m in extras["rep_metrics"]) > 100

    monkeypatch.setattr(compare, "HALF_CYCLE_NEARER", 0.0)   # never re-cut: the behaviour before
    feedback, _ = coach_session(seq, shifted, named, kinematics=kinematics)
    assert {f.kind for f in feedback if f.severity == "fault"} == {"partial_range"}
    monkeypatch.undo()

    _, gold_angles, gold_measures = _opening("jumping_jack")
    in_phase = in_phase_with_gold(shifted, kinematics.angles, gold_angles, gold_measures,
                                  CATALOG["jumping_jack"].moving)
    assert in_phase.count == shifted.count and in_phase.segments != shifted.segments


def test_real_jumping_jacks_counted_from_the_top_are_not_all_faulted(monkeypatch):
    # RepCount's stu3_20: the counter's reps open with the arms up; compared at the turning point, every
    # one of its 19 reps was told it moved the arms 120 degrees too little
    seq = read_pose(shared_path("repcount_pose", "dev", "stu3_20.npy"))
    analysis = analyze_sequence(seq, "stu3_20", exercise="jumping_jack").analysis
    metrics = analysis.extras["rep_metrics"]
    assert len(metrics) == analysis.reps["count"] >= 15
    assert sum(bool(m["faults"]) for m in metrics) <= 0.1 * len(metrics)

    monkeypatch.setattr(compare, "HALF_CYCLE_NEARER", 0.0)   # never re-cut: the behaviour before
    before = analyze_sequence(seq, "stu3_20", exercise="jumping_jack").analysis.extras["rep_metrics"]
    assert sum(bool(m["faults"]) for m in before) >= 0.9 * len(before)


def test_real_sets_in_phase_are_coached_exactly_as_before(monkeypatch):
    seq = read_pose(shared_path("ucf101", "poses", "v_JumpingJack_g09_c01.npz"))
    now = analyze_sequence(seq, "jacks", exercise="jumping_jack").analysis.to_dict()
    monkeypatch.setattr(compare, "HALF_CYCLE_NEARER", 0.0)
    before = analyze_sequence(seq, "jacks", exercise="jumping_jack").analysis.to_dict()
    assert now == before


def test_the_report_shows_a_fault_where_the_coach_measured_the_rep():
    from gyml.pipeline import AnalysisResult
    from gyml.report.analysis import Analysis
    from gyml.report.html import render_report

    seq = synthesize("jumping_jack", reps=6, faults={3: "partial_range"}, seed=4)
    shifted = reps_cut_at_the_top(seq)       # counted rep k runs from the top of rep k to the top of rep k + 1
    named = ExercisePrediction("jumping_jack", "Jumping Jack", 1.0)
    feedback, extras = coach_session(seq, shifted, named, kinematics=Kinematics(seq))
    faults = [f for f in feedback if f.severity == "fault"]
    assert [(f.kind, f.reps, f.phase) for f in faults] == [("partial_range", [2], "mid")]
    top = seq.metadata["segments"][2]["mid"]            # the short rep's own turning point
    assert abs(extras["rep_metrics"][1]["frames"]["turn"] - top) <= 2
    analysis = Analysis(input="jacks", source=seq.source, frames=len(seq), fps=seq.fps, exercise=named,
                        reps=shifted.to_dict(), feedback=feedback, summary="", extras=extras)
    page = render_report(AnalysisResult(analysis, seq, shifted, Kinematics(seq)), None)
    shown = extras["rep_metrics"][1]["frames"]["turn"]
    assert f"rep 2, {seq.frame_times()[shown]:.1f} s" in page
    assert shown != shifted.segments[1].mid             # not the count's midpoint: the rest between tops
    # the rep table reads start, turn and end on the same frames as the rep's down / up seconds
    m = extras["rep_metrics"][1]
    row = f'<tr><td>2</td><td>{m["times_s"]["start"]:.1f} s</td><td>{m["times_s"]["turn"]:.1f} s</td>' \
          f'<td>{m["times_s"]["end"]:.1f} s</td>'
    assert row in page and m["frames"]["start"] != shifted.segments[1].start
    assert m["times_s"]["end"] - m["times_s"]["start"] == pytest.approx(sum(m["tempo_s"].values()), abs=0.05)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 8), st.booleans())
def test_re_cut_reps_are_always_valid_spans_of_the_same_reps(seed, n_reps, overlapping):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(n_reps * 4, n_reps * 40 + 8))
    angles = rng.normal(0, 40, (n, len(compare.ANGLE_NAMES)))
    cuts = np.sort(rng.choice(np.arange(n), n_reps + 1, replace=False))
    segments = []
    for k in range(n_reps):
        start, end = int(cuts[k]), int(cuts[k + 1])
        if overlapping and k > 0:
            start = max(0, start - int(rng.integers(0, 3)))   # counters may let reps share a few frames
        segments.append(RepSegment(k + 1, start, int(rng.integers(start, end + 1)), end))
    opening = rng.normal(0, 40, angles.shape[1])
    for s in segments:   # every midpoint at the gold's opening pose: the set is half a cycle off
        angles[s.mid] = opening + rng.normal(0, 1, angles.shape[1])
    columns = watched_columns(("knee", "hip"))
    out = in_phase_segments(angles, segments, opening, columns)
    assert [s.index for s in out] == [s.index for s in segments]
    assert all(0 <= s.start <= s.mid <= s.end <= n - 1 for s in out)
    if out is not segments:   # each turns where the counter cut it; a last rep ending the recording turns there
        assert all(new.mid == old.end
                   for new, old in zip(out, segments))


def _cut_by_the_recording(exercise: str, seed: int = 4):
    """A set counted from its turning points whose recording ends half-way into the last rep's way in: the
    counter's last rep runs from the turning point before it to the recording's last frame."""
    from gyml.reps.counter import RepCount

    seq = synthesize(exercise, reps=5, seed=seed)
    truth = seq.metadata["segments"]
    last = truth[-1]
    end = last["start"] + (last["mid"] - last["start"]) // 2     # half-way down into the last rep
    counted = reps_cut_at_the_top(seq).segments[:-1]           # top of rep k to top of rep k + 1, k = 1..3
    counted.append(RepSegment(len(counted) + 1, truth[-2]["mid"], truth[-2]["end"], end - 1))
    return seq.slice(0, end), RepCount(len(counted), "gyml", counted, np.zeros(end))


def test_a_last_rep_the_recording_cuts_is_measured_from_its_rest_and_not_told_it_is_shallow():
    # RepCount's train3899 (a squat set counted from the bottom, the recording ending on the way down): the
    # last rep kept its counted span, bottom to top, and was told "your knees bend 109 degrees less than the
    # reference" while its own range in the rep table was 108 degrees
    seq, counted = _cut_by_the_recording("squat")
    named = ExercisePrediction("squat", "Squat", 1.0)
    feedback, extras = _coach(seq, counted, named, None, "gyml", "intermediate", Kinematics(seq))
    last = extras["rep_metrics"][-1]
    assert last["frames"]["start"] < last["frames"]["turn"] == len(seq) - 1     # from its rest to the cut
    told = {(f.kind, r) for f in feedback if f.severity == "fault" for r in f.reps}
    assert not {k for k, r in told if r == counted.count and k in ("shallow", "too_fast")}, told


def test_real_squat_cut_by_the_recording_keeps_its_full_first_rep_and_no_109_degree_cue():
    seq = read_pose(shared_path("repcount_pose", "dev", "train3899.npy"))
    analysis = analyze_sequence(seq, "train3899", exercise="squat").analysis
    assert not [f.message for f in analysis.feedback if f.kind == "shallow"]
    assert analysis.extras["rep_metrics"][-1]["frames"]["turn"] == len(seq) - 1

"""The HTML report tells one story: the timeline, the rep table and the fault pictures place a rep at the
same moments; the per-rep chart is red exactly where a cue told that part on that rep; a hold's timeline
shows the hold and its stretches of faulty posture; the reference used is named; the table's faults read as
the cues do.

Sets are coached without the recognition model (the exercise named, as `--exercise` does) to stay fast.
"""

import dataclasses
import re

import numpy as np
import pytest
from conftest import reps_cut_at_the_top

from gyml.coach import gold as gold_library
from gyml.coach.holds import coach_hold_analysis
from gyml.pipeline import AnalysisResult, _coach
from gyml.pose.kinematics import Kinematics
from gyml.report.analysis import Analysis, ExercisePrediction
from gyml.report.html import (
    FAULT_COLOUR,
    deviation_chart_svg,
    faults_text,
    reference_line,
    render_html,
    render_report,
    told_parts,
)
from gyml.reps.counter import RepCount, count_reps
from gyml.synth import CATALOG, SynthConfig, synthesize


def _coached(seq, label, reps=None) -> AnalysisResult:
    kinematics = Kinematics(seq)
    reps = reps or count_reps(seq, "gyml", kinematics=kinematics)
    named = ExercisePrediction(label, CATALOG[label].name, 1.0, named=True)
    gold = gold_library.find(label)
    feedback, extras = _coach(seq, reps, named, gold, "gyml", "intermediate", kinematics)
    analysis = Analysis(input=f"{label}.npz", source=seq.source, frames=len(seq), fps=seq.fps, exercise=named,
                        reps=reps.to_dict(), feedback=feedback, summary="", extras=extras)
    return AnalysisResult(analysis, seq, reps, kinematics, gold)


@pytest.fixture(scope="module")
def squats():
    """Five squats: rep 2 shallow, rep 4 knees caving."""
    return _coached(synthesize("squat", 5, {2: "shallow", 4: "knees_cave"}, seed=3), "squat")


@pytest.fixture(scope="module")
def jacks_cut_at_the_top():
    """Jumping jacks counted from one rep's top to the next (the coach measures them rest to rest), rep 2
    short of its range: the count's moments and the coach's differ."""
    seq = synthesize("jumping_jack", reps=6, faults={3: "partial_range"}, seed=4)
    return _coached(seq, "jumping_jack", reps_cut_at_the_top(seq))


def _section(page: str, heading: str) -> str:
    part = page[page.index(heading):]
    return part[:part.index("</svg>")]


def test_the_timeline_marks_each_rep_where_the_coach_measured_it(jacks_cut_at_the_top):
    """The timeline marked reps at the count's segments while the table and the pictures used the coach's
    frames (a push-up's rep 1 marked at 1.77 s beside a table turning at 2.6 s)."""
    result = jacks_cut_at_the_top
    page = render_report(result)
    times = result.sequence.frame_times()
    timeline = _section(page, "<h2>Timeline</h2>")
    marks = re.findall(r'<g><title>rep (\d+): ([0-9.]+) s to ([0-9.]+) s, turning at ([0-9.]+) s</title>'
                       r'<rect x="([0-9.]+)"[^>]*/><line x1="([0-9.]+)"', timeline)
    metrics = {m["rep"]: m for m in result.analysis.extras["rep_metrics"]}
    assert [int(m[0]) for m in marks] == [s.index for s in result.reps.segments]
    moved = 0
    for rep, start, end, turn, band_x, line_x in marks:
        frames = metrics[int(rep)]["frames"]
        assert (start, end, turn) == tuple(f"{times[frames[k]]:.1f}" for k in ("start", "end", "turn"))
        assert float(line_x) == pytest.approx(times[frames["turn"]] / times[-1] * 900, abs=0.06)
        assert float(band_x) == pytest.approx(times[frames["start"]] / times[-1] * 900, abs=0.06)
        # the table's row of the rep gives the same three moments
        assert f'<tr><td>{rep}</td><td>{start} s</td><td>{turn} s</td><td>{end} s</td>' in page
        counted = result.reps.segments[int(rep) - 1]
        moved += counted.mid != frames["turn"]
    assert moved   # the count's midpoints (the rest between tops) are not what is shown


def test_a_chart_cell_is_red_exactly_where_a_cue_told_that_part(squats):
    a = squats.analysis.to_dict()
    told = {(r, part) for f in a["feedback"] if f["severity"] in ("fault", "warn") and f["kind"]
            for r in f["reps"] for part in [{"knees_cave": "knee tracking"}.get(f["kind"], "knees")]}
    assert told == {(2, "knees"), (4, "knee tracking")}, a["feedback"]
    page = render_report(squats)
    chart = _section(page, "How far each rep strayed from the reference")
    assert "degrees from the reference" in chart and "a part told on that rep" in chart
    labels = re.findall(r'text-anchor="end" fill="#344054">([^<]+)</text>', chart)
    fills = re.findall(r'<rect x="[0-9.]+" y="[0-9.]+" width="[0-9.]+" height="[0-9.]+" rx="3" fill="([^"]+)"/>',
                       chart)
    reps = [m["rep"] for m in a["rep_metrics"]]
    assert len(fills) == len(labels) * len(reps)
    red = {(reps[k % len(reps)], labels[k // len(reps)]) for k, fill in enumerate(fills) if fill == FAULT_COLOUR}
    assert red == told
    # the shallow rep's hips stray as far as its knees, but no cue named them: grey-blue, not red
    shallow = a["rep_metrics"][1]["deviation_deg"]
    assert shallow["hip"] > 20 and (2, "hips") not in red


def test_a_rep_praised_or_untold_is_never_red_however_far_it_strayed():
    """The trial's lunge against its own gold: rep 4 praised with hips 33 degrees off drawn deep red like the
    faulted reps; rep 7's knees, told nothing, the darkest red of all."""
    feedback = [{"severity": "fault", "kind": "not_low_enough", "joint": "hip", "reps": [1, 2, 3, 5, 6, 7], "rep": None},
                {"severity": "info", "kind": None, "joint": None, "reps": [4], "rep": 4},
                {"severity": "warn", "kind": "posture_drift", "joint": "trunk", "reps": [6], "rep": 6},
                {"severity": "warn", "kind": "posture_drift", "joint": "hip", "reps": [7], "rep": 7},
                {"severity": "fault", "kind": "hips_sag", "joint": "hip", "reps": [5], "rep": 5},
                {"severity": "fault", "kind": "shallow", "joint": "elbow", "reps": [3], "rep": 3},
                {"severity": "warn", "kind": "slower_than_best", "joint": "tempo", "reps": [2], "rep": 2}]
    assert told_parts(feedback) == {1: {"hip"}, 2: {"hip"}, 3: {"hip", "elbow"}, 5: {"hip", "body_line"},
                                    6: {"hip", "trunk"}, 7: {"hip", "body_line"}}
    metrics = [{"rep": r, "faults": ["not_low_enough"] if r != 4 else [],
                "deviation_deg": {"knee": 44.0 if r == 7 else 8.0, "hip": 33.0, "trunk": 2.0}} for r in range(1, 8)]
    chart = deviation_chart_svg(metrics, feedback[:2])
    fills = re.findall(r'rx="3" fill="([^"]+)"/><text[^>]*>(\d+)</text>', chart)
    grid = {(part, rep): fill for k, (fill, _) in enumerate(fills) for part, rep in [(k // 7, k % 7 + 1)]}
    assert grid[(1, 4)] != FAULT_COLOUR and all(grid[(1, r)] == FAULT_COLOUR for r in (1, 2, 3, 5, 6, 7))
    assert grid[(0, 7)] != FAULT_COLOUR and not any(grid[(2, r)] == FAULT_COLOUR for r in range(1, 8))


def _plank_piked_from_4_to_8_s():
    def plank(**rest):
        spec = dataclasses.replace(CATALOG["plank"], rest={**CATALOG["plank"].rest, **rest})
        return synthesize(spec, 4, seed=4, config=SynthConfig(noise_m=0.01))

    seq, piked = plank(), plank(hip_flex_l=40, hip_flex_r=40)
    a, b = int(4 * seq.fps), int(8 * seq.fps)
    seq.joints[a:b] = piked.joints[a:b]
    named = ExercisePrediction("plank", "Plank", 1.0, named=True)
    feedback, extras, summary, signal = coach_hold_analysis(seq, named)
    reps = RepCount(count=0, method="hold", segments=[], signal=signal)
    analysis = Analysis(input="plank.npz", source=seq.source, frames=len(seq), fps=seq.fps, exercise=named,
                        reps=reps.to_dict(), feedback=feedback, summary=summary, extras=extras)
    return AnalysisResult(analysis, seq, reps, Kinematics(seq))


def test_a_hold_timeline_shows_the_hold_and_its_fault_stretches():
    """A hold's timeline was one unlabelled line with a spike at 0 s: neither the hold nor its faults."""
    result = _plank_piked_from_4_to_8_s()
    hold = result.analysis.extras["hold"]
    pike = [s for s in hold["segments"] if s["fault"] == "hips_pike"]
    assert [(s["start_s"], s["end_s"]) for s in pike] == [(4.0, 8.0)], hold["segments"]
    for page in (render_report(result), render_html(result.analysis, result.reps.signal)):
        timeline = _section(page, "<h2>Timeline</h2>")
        assert f'held {hold["start_s"]:.1f}-{hold["end_s"]:.1f} s' in timeline
        assert '>hips pike</text>' in timeline and "<title>hips pike: 4.0-8.0 s (fault)</title>" in timeline
        total = result.sequence.frame_times()[-1]
        bar = re.search(r'<title>hips pike: 4.0-8.0 s \(fault\)</title><rect x="([0-9.]+)" y="[0-9]+" '
                        r'width="([0-9.]+)"[^>]*fill="' + FAULT_COLOUR, timeline)
        left, right = 130, 900 - 12
        assert float(bar[1]) == pytest.approx(left + 4.0 / total * (right - left), abs=0.1)
        assert float(bar[2]) == pytest.approx(4.0 / total * (right - left), abs=0.2)
        assert "4.0-8.0 s</text>" in timeline           # the bar's seconds written on it
        assert "hip angle" in timeline and "reference (" in timeline and "hips pike past here" in timeline
        # the line is drawn over the hold only: no point left of its start
        points = re.search(r'<polyline points="([^"]+)"', timeline)[1].split()
        assert min(float(p.split(",")[0]) for p in points) >= left + hold["start_s"] / total * (right - left) - 1
        assert re.search(r'>0 s</text>.*>8 s</text>', timeline)
    assert "Reference:" not in render_report(result) and "(reference: built-in)" in render_report(result)


def test_the_report_names_the_reference_the_set_was_held_against(squats):
    assert '<p class="muted">Reference: the built-in squat, and your own best reps</p>' in render_report(squats)

    def line(gold, reference):
        return reference_line({"coach": {"method": "gyml", "reference": reference, "gold": gold},
                               "exercise": {"label": gold["exercise"]}})

    assert line({"exercise": "lunge", "name": "lunge_good.csv", "source": "file"}, "own gold") == \
        '<p class="muted">Reference: lunge_good.csv (your gold)</p>'
    assert "Reference: my_squats (your gold, from your library)" in \
        line({"exercise": "squat", "name": "my_squats", "source": "library"}, "own gold")
    assert "Reference: the built-in alternate reverse lunge<" in \
        line({"exercise": "alternate_reverse_lunge", "name": "builtin", "source": "builtin"}, "built-in")
    assert reference_line({"coach": None}) == ""


def test_the_rep_table_says_faults_as_the_cues_do(squats, jacks_cut_at_the_top):
    """The table read "shallow (mid)" beside a cue saying "at the bottom"."""
    page = render_report(squats)
    cue = next(f.message for f in squats.analysis.feedback if f.kind == "shallow")
    assert cue.startswith("Rep 2, at the bottom:")
    assert "<td>not deep enough (at the bottom)</td>" in page and "(mid)" not in page
    assert "<td>knees fall inwards (at the bottom)</td>" in page
    # an exercise that turns at its top: the cue says "at the top", and so does the table
    jacks = render_report(jacks_cut_at_the_top)
    cue = next(f.message for f in jacks_cut_at_the_top.analysis.feedback if f.kind == "partial_range")
    assert ", at the top:" in cue and "<td>short of the full range (at the top)</td>" in jacks
    assert faults_text({"hips_sag": "overall", "knees_bent": "overall", "head_dropped": "overall"}, "push_up") == \
        "hips sag, knees bend, head out of line (over the rep)"
    assert faults_text({"shallow": "mid", "too_fast": "descent"}, "sit_up") == \
        "short of the full range (at the top); rushed (on the way up)"


def test_the_rep_tables_times_stay_on_one_line(squats):
    """"2.6 s" wrapped to "2.6 / s" in a narrow window."""
    page = render_report(squats)
    assert '<table class="reps">' in page
    assert re.search(r"\.reps td:not\(:last-child\)[^{]*\{white-space:nowrap\}", page)
    assert np.all([" s</td>" in row for row in re.findall(r"<tr><td>\d+</td><td>[^<]*</td>", page)])

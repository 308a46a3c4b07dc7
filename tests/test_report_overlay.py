"""What a person sees: the overlay video and the HTML report that shows the fault."""

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path

from gyml.errors import GymlError
from gyml.pipeline import analyze_sequence
from gyml.pose.cache import cached_read_pose
from gyml.pose.readers import read_pose
from gyml.pose.readers.video import iter_frames, probe_video
from gyml.report.html import render_report, write_report
from gyml.report.overlay import (
    READ_S,
    check_overlay_target,
    cue_text,
    cue_windows,
    draw_text_box,
    hold_cues,
    rep_cue_frames,
    take_turns,
    write_overlay,
)
from gyml.synth import synthesize

av = pytest.importorskip("av")
FAULTY_CLIP = ("videos", "form", "squat_incorrect_003.mp4")   # one squat, leaning far forward


@pytest.fixture(scope="module")
def faulty_video():
    video = shared_path(*FAULTY_CLIP)
    result = analyze_sequence(cached_read_pose(video), str(video))
    assert result.reps.count >= 1 and any(f.severity == "fault" for f in result.analysis.feedback)
    return video, result


def _reddish(rgb: np.ndarray) -> int:
    """Pixels in the fault colour (the ring round the part at fault, the cue's text is lighter)."""
    r, g, b = (rgb[..., k].astype(int) for k in range(3))
    return int(((r > 190) & (g < 110) & (b < 110)).sum())


def test_overlay_keeps_the_input_length_rate_and_size_and_draws_the_cue_at_the_bottom(faulty_video, tmp_path):
    """The squat's cue is "at the bottom": its part was ringed from the rep's first frame, the person still
    standing. It now comes around the turning point the coach measured, and stays to be read."""
    video, result = faulty_video
    out = write_overlay(result, video, tmp_path / "overlay.mp4")
    source, written = probe_video(video), probe_video(out)
    assert (written.width, written.height) == (source.width, source.height)
    assert written.frames == source.frames == len(result.sequence)
    assert written.rate == source.rate
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    drawn = list(iter_frames(out, max_side=None))
    plain = list(iter_frames(video, max_side=None))
    cue = next(f for f in result.analysis.feedback if f.severity == "fault")
    assert cue.phase == "mid" and cue.reps == [1]
    frames = result.analysis.extras["rep_metrics"][0]["frames"]
    start, turn, end = frames["start"], frames["turn"], frames["end"]
    present = result.sequence.present

    def ringed(i):
        return _reddish(drawn[i]) - _reddish(plain[i]) > 200

    # the part at fault is ringed around the turning point, not while the person is still standing
    assert all(ringed(i) for i in range(turn - 2, turn + 3) if present[i])
    assert not any(ringed(i) for i in range(start, start + (turn - start) // 2))
    # and stays ringed to be read: READ_S from when it came, to the video's end at most
    came = next(i for i in range(len(drawn)) if ringed(i))
    fps = result.sequence.fps
    stays = range(came, min(len(drawn), came + int(READ_S * fps)))
    assert came > start and np.mean([ringed(i) for i in stays if present[i]]) > 0.9
    # the skeleton is drawn: frames differ from the input where the person is
    inside = [i for i in range(start, end + 1) if present[i]]
    assert np.mean([np.abs(drawn[i].astype(int) - plain[i]).mean() > 2 for i in inside]) > 0.8


def test_overlay_cues_over_the_rep_span_it_two_at_a_time_compact_and_in_turns(tmp_path):
    """A push-up set told three cues "over the rep" on both reps: three boxes of the full messages covered
    half the 640x360 frame. Now each frame shows at most two, as their "what", taking turns so that each is
    seen on every rep, and the parts of those on screen are ringed all through the reps."""
    video = shared_path("videos", "form", "pushup_incorrect_001.mp4")
    result = analyze_sequence(cached_read_pose(video), str(video), exercise="push_up")
    faults = [f for f in result.analysis.feedback if f.severity == "fault"]
    assert len(faults) == 3 and all(f.phase == "overall" for f in faults)
    seq = result.sequence
    times = np.arange(len(seq)) / seq.fps
    shown = rep_cue_frames(result, times)
    texts = {cue_text(f.message): f for f in faults}
    assert all(" - " not in t and "Reps" not in t and "°" in t for t in texts)
    for m in result.analysis.extras["rep_metrics"]:
        first, last = m["frames"]["start"], m["frames"]["end"]
        # an "overall" cue spans its rep
        spans = [(a, b) for a, b, text, *_ in cue_windows(result, times) if texts[text].reps == [1, 2]]
        assert (first, last) in spans or any(a <= first and b >= last for a, b in spans)
        on = [shown[i] for i in range(first, last + 1)]
        assert all(1 <= len(here) <= 2 for here in on)
        assert {text for here in on for text, _ in here} == set(texts)   # each seen on each rep
    out = write_overlay(result, video, tmp_path / "pushups.mp4")
    drawn = list(iter_frames(out, max_side=None))
    plain = list(iter_frames(video, max_side=None))
    reps = range(result.reps.segments[0].start, result.reps.segments[-1].end + 1)
    assert np.mean([_reddish(drawn[i]) - _reddish(plain[i]) > 100 for i in reps if seq.present[i]]) > 0.9

    def boxed(d, p):   # the share of the frame the text boxes darken (the boxes keep 35% of the light)
        d, p = d.astype(float).mean(-1), p.astype(float).mean(-1)
        return ((d < 0.5 * p) & (p > 60)).mean()
    assert max(boxed(drawn[i], plain[i]) for i in reps[::10]) < 0.08   # before: 0.14-0.19


def test_a_moment_cue_comes_at_once_and_holds_without_covering_the_next_reps_cues():
    from types import SimpleNamespace

    from gyml.report.analysis import Feedback
    from gyml.reps.counter import RepSegment

    # three reps of a second each at 30 fps; "at the bottom" cues on reps 1 and 2, a cue over rep 3
    segments = [RepSegment(k + 1, 30 * k, 30 * k + 15, 30 * k + 30) for k in range(3)]
    feedback = [Feedback(None, "mid", "knee", "fault", "Reps 1-2, at the bottom: your knees cave - push out.",
                         reps=[1, 2]),
                Feedback(3, "overall", "hip", "fault", "Rep 3, over the rep: your hips sag 20° - brace.", reps=[3])]
    result = SimpleNamespace(reps=SimpleNamespace(segments=segments),
                             analysis=SimpleNamespace(feedback=feedback, extras={}))
    times = np.arange(100) / 30
    windows = cue_windows(result, times)
    assert windows[0][:4] == (12, 41, "Your knees cave", "knee")   # held until rep 2's comes (at 42)
    assert windows[1][:2] == (42, 59)                                # and until rep 3's comes
    assert windows[2][:3] == (60, 99, "Your hips sag 20°")          # rep 3, held READ_S to the video's end
    # a moment's cue is not kept waiting by whole-rep ones: it takes a place at once
    overall = [(f"overall {k}", None, False) for k in range(3)]
    here = [overall + ([("at the bottom", "knee", True)] if 50 <= i < 60 else []) for i in range(200)]
    shown = take_turns(here, np.arange(200) / 30)
    assert all(len(s) == 2 for s in shown)
    assert all(("at the bottom", "knee") in shown[i] for i in range(50, 60))
    assert all({c for c, _ in s} <= {c for c, *_ in h} for s, h in zip(shown, here))
    assert {c for s in shown[:100] for c, _ in s} == {c for c, *_ in here[55]}   # each takes its turn


@pytest.mark.parametrize("pillow", [True, False])
def test_a_degree_sign_is_drawn_not_spelt(pillow, monkeypatch):
    """OpenCV's fonts lack "°": cues read "17 deg". It is drawn as a small raised ring after the number
    (Pillow's bundled font; without it, a ring drawn after OpenCV's digits)."""
    from gyml.report import overlay

    if not pillow:
        monkeypatch.setattr(overlay, "_font", lambda size: None)
    overlay.text_mask.cache_clear()
    try:
        inks = {}
        for text in ("17", "17°", "17 deg"):
            canvas = np.zeros((60, 200, 3), np.uint8)
            draw_text_box(canvas, [text], (0, 0), 30)
            inks[text] = canvas.max(-1) > 128
    finally:
        overlay.text_mask.cache_clear()
    digits, degree = inks["17"], inks["17°"] & ~inks["17"]
    rows, cols = np.flatnonzero(digits.any(1)), np.flatnonzero(digits.any(0))
    extra_rows, extra_cols = np.flatnonzero(degree.any(1)), np.flatnonzero(degree.any(0))
    assert 5 < degree.sum() < digits.sum() / 2                          # a small mark...
    assert extra_cols.min() > cols.max() - 2                             # after the number
    assert extra_rows.max() < (rows.min() + rows.max()) / 2              # raised: in the digits' upper half
    assert extra_cols.max() - cols.max() < (np.flatnonzero(inks["17 deg"].any(0)).max() - cols.max()) / 2


def test_overlay_gets_the_usual_permissions_and_is_written_through_a_link(faulty_video, tmp_path):
    import os
    import stat

    video, result = faulty_video
    (tmp_path / "runs").mkdir()
    link = tmp_path / "latest.mp4"
    link.symlink_to(Path("runs") / "today.mp4")
    old = os.umask(0o022)
    try:
        write_overlay(result, video, link)
    finally:
        os.umask(old)
    assert link.is_symlink()                                    # before: the link became a plain file
    written = tmp_path / "runs" / "today.mp4"
    assert stat.S_IMODE(written.stat().st_mode) == 0o644        # before: mkstemp's 0600
    assert probe_video(written).frames == len(result.sequence)


def test_overlay_needs_a_video_and_a_place_to_write(tmp_path):
    seq = synthesize("squat", 3, seed=1)
    path = seq.save(tmp_path / "squat.npz")
    with pytest.raises(GymlError, match="video"):
        check_overlay_target([path], tmp_path / "o.mp4")
    with pytest.raises(GymlError, match="folder does not exist"):
        check_overlay_target([path], tmp_path / "missing" / "o.mp4")
    with pytest.raises(GymlError, match=".mp4"):
        check_overlay_target([path], tmp_path / "o.avi")
    with pytest.raises(GymlError, match="pose files"):
        write_overlay(analyze_sequence(seq, "squat.npz"), path, tmp_path / "o.mp4")


def test_report_is_one_self_contained_file(faulty_video):
    video, result = faulty_video
    page = render_report(result, video)
    assert "<script" not in page and not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@font-face" not in page and "url(" not in page
    stills = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', page)
    assert stills and all(base64.b64decode(s)[:2] == b"\xff\xd8" for s in stills)
    for f in result.analysis.feedback:
        assert f.message.split(":")[0] in page


def _screenshot(html_path: Path, png: Path) -> dict:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("headless Chromium is not at /usr/bin/chromium")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        requested = []
        # offline: anything not in the file itself would be a request, and fails
        page.route("**/*", lambda route: (route.continue_() if route.request.url.startswith(("file:", "data:"))
                                          else (requested.append(route.request.url), route.abort())))
        page.goto(html_path.as_uri())
        facts = page.evaluate("""() => ({
            images: [...document.images].map(i => [i.complete, i.naturalWidth]),
            svgs: document.querySelectorAll('svg').length,
            rings: document.querySelectorAll('svg circle').length,
            cues: [...document.querySelectorAll('h2.fault')].map(h => h.textContent)})""")
        page.screenshot(path=str(png), full_page=True)
        browser.close()
    facts["requested"] = requested
    return facts


def test_report_renders_in_headless_chromium_with_the_fault_shown(faulty_video, tmp_path):
    video, result = faulty_video
    html_path = write_report(result, tmp_path / "report.html", video)
    facts = _screenshot(html_path, tmp_path / "report.png")
    assert facts["requested"] == []
    assert facts["images"] and all(done and width > 100 for done, width in facts["images"])
    faults = [f.message for f in result.analysis.feedback if f.severity == "fault"]
    assert facts["cues"] == faults
    assert facts["rings"] >= 2 * len(faults)   # the part at fault, ringed in the side and front views
    from PIL import Image
    shot = np.asarray(Image.open(tmp_path / "report.png").convert("RGB"))
    assert shot.shape[0] > 1200 and _reddish(shot) > 500   # the ringed joints and the faulty rep's text


def test_report_of_a_pose_file_draws_both_skeletons_and_the_deviation_chart(tmp_path):
    seq = synthesize("squat", 6, {2: "shallow", 5: "knees_cave"}, seed=7)
    # a pose file extracted from a video carries image positions, but no frames to draw them on
    seq.image_landmarks = np.full((len(seq), 33, 2), 0.5, np.float32)
    result = analyze_sequence(seq, "squats.npz")
    page = render_report(result, seq.save(tmp_path / "squats.npz"))
    assert "<img" not in page   # no video: drawings only
    assert page.count("reference, same phase") == 2
    metrics = result.analysis.extras["rep_metrics"]
    shallow = next(m for m in metrics if m["rep"] == 2)
    others = [m for m in metrics if not m["faults"]]
    assert shallow["deviation_deg"]["knee"] > 3 * max(m["deviation_deg"]["knee"] for m in others)
    facts = _screenshot(write_report(result, tmp_path / "r.html"), tmp_path / "r.png")
    assert facts["svgs"] >= 6 and len(facts["cues"]) == 2 and facts["requested"] == []


def test_a_video_push_up_report_charts_the_checks_its_verdict_is_made_on():
    """Push-ups on video are judged by learned checks over the whole rep; the chart of gaps to the textbook
    rep contradicted the verdict (reps without a fault looked worse than faulted ones). The chart now shows
    those checks against their limits: red exactly where a fault was told."""
    seq = synthesize("push_up", 6, {3: "hips_sag"}, seed=3)
    seq.source = "video"
    result = analyze_sequence(seq, "pushups.mp4", exercise="push_up")
    limits = result.analysis.extras["coach"]["video_limits"]
    metrics = result.analysis.extras["rep_metrics"]
    assert any("hips_sag" in m["faults"] for m in metrics if m["rep"] == 3)
    page = render_report(result, None)
    assert "on the checks judged on video" in page and "degrees from the reference by body part" not in page
    chart = page[page.index("on the checks judged on video"):]
    chart = chart[chart.index("<svg"):chart.index("</svg>")]
    told = sum(k in limits and k != "shallow" for m in metrics for k in m["faults"])
    assert told >= 1 and chart.count('fill="#d92d20"/>') == told


def test_each_fault_card_rings_its_own_part_when_cues_share_a_rep():
    # a real clip told three faults on the same reps (hips, knees, head): each card's still of a rep used
    # to be one picture, ringed for the last cue only (the head, which had no ring at all)
    video = shared_path("videos", "form", "pushup_incorrect_001.mp4")
    result = analyze_sequence(cached_read_pose(video), str(video), exercise="push_up")
    faults = [f for f in result.analysis.feedback if f.severity == "fault"]
    shared_reps = set.intersection(*(set(f.reps) for f in faults)) if faults else set()
    assert len({f.joint for f in faults}) >= 2 and shared_reps, [f.message for f in faults]
    page = render_report(result, video)
    cards = page.split('<div class="card"><h2 class="fault">')[1:]
    assert len(cards) == len(faults)
    stills = [re.findall(r'src="(data:image/jpeg;base64,[^"]+)"', card) for card in cards]
    assert all(stills)
    firsts = [s[0] for s in stills]
    assert len(set(firsts)) == len(firsts)            # the same frame, ringed differently on each card
    assert all("<circle" in card for card in cards)   # every part at fault is ringed in the skeletons
    from PIL import Image
    for card, f in zip(stills, faults):
        shot = np.asarray(Image.open(io.BytesIO(base64.b64decode(card[0].split(",", 1)[1]))).convert("RGB"))
        assert _reddish(shot) > 20, f.message   # the ring on the video still


def test_a_holds_report_shows_each_posture_fault_on_the_body():
    # a real plank take whose hips sag: each fault of the hold gets its picture, ringed, against the
    # textbook plank; a hold has no repetitions table, and its faults are the form issues counted
    take = shared_path("bodyweight_mistakes", "plank_butt_low.csv")
    result = analyze_sequence(read_pose(take), str(take))
    hold = result.analysis.extras["hold"]
    faults = list(dict.fromkeys(s["fault"] for s in hold["segments"]))
    assert "hips_sag" in faults
    told = {f.kind: f for f in result.analysis.feedback if f.kind}
    assert set(faults) <= set(told)
    page = render_report(result)
    cards = page.split('<div class="card"><h2 class="')[1:]
    assert len(cards) == len(faults)
    for fault, card in zip(faults, cards):
        assert told[fault].message in card and "<circle" in card and "reference hold" in card
    assert "<h2>Repetitions</h2>" not in page and "Repetitions</div>" not in page
    assert f'Held</div><div class="big">{hold["time_under_tension_s"]:.1f} s<' in page
    assert re.search(r'Form issues</div><div class="big fault">' + str(len(faults)) + "<", page)
    # the overlay's frames: seconds held so far, and each fault's cue (its part) on the frames of its stretch
    times = np.arange(len(result.sequence)) / result.sequence.fps
    held, here = hold_cues(result.analysis, times)
    assert held[0] == 0 and np.all(np.diff(held) >= 0)
    assert held[-1] == pytest.approx(hold["time_under_tension_s"], abs=0.2)   # times rounded to 0.1 s
    sag = next(s for s in hold["segments"] if s["fault"] == "hips_sag")
    inside = (times >= sag["start_s"]) & (times <= sag["end_s"])
    assert all((told["hips_sag"].message, "hip") in here[i] for i in np.flatnonzero(inside))
    assert not any(c[1] == "hip" for i in np.flatnonzero(~inside) for c in here[i])
    # the drawn body is the person's, not a heap of zeros (the take has no hands or feet)
    assert len(set(re.findall(r'<line x1="([0-9.]+)"', cards[0]))) > 10


def test_the_report_marks_a_guess_and_ones_own_exercise():
    from gyml.synth.motion import synthesize

    result = analyze_sequence(synthesize("squat", 3, seed=1), "set.npz")
    assert "Squat (" in render_report(result)
    result.analysis.exercise.guess, result.analysis.exercise.confidence = True, 0.41
    assert "looks like squat (41%, a guess)" in render_report(result)   # it read "Squat (41%)"


def test_the_deviation_chart_shows_only_the_parts_the_set_is_coached_on():
    """A lunge's chart had a dark "body line" row no lunge check reads, and "knee tracking" for a set
    filmed from the side, where it is not judged."""
    from gyml.synth import SynthConfig

    def parts(exercise, yaw=None):
        seq = synthesize(exercise, 4, seed=2, config=SynthConfig(camera_yaw_deg=yaw or 0.0))
        if yaw is not None:   # one camera: a side view is known
            seq.source = "video"
        metrics = analyze_sequence(seq, "x", exercise=exercise).analysis.extras["rep_metrics"]
        return set(metrics[0]["deviation_deg"])

    assert "body_line" not in parts("lunge") and {"knee", "hip", "knee_tracking"} <= parts("lunge")
    assert "knee_tracking" not in parts("squat", yaw=90.0) and "knee_tracking" in parts("squat", yaw=0.0)
    assert "body_line" in parts("push_up")


def test_the_rep_table_gives_the_turning_point_the_coach_measured_each_rep_at(faulty_video):
    """The fault pictures show each rep at the coach's turning point; the table gave the counter's midpoint
    (1.8 s beside a fault pictured at 2.6 s)."""
    video, result = faulty_video
    html = render_report(result, str(video))
    times = result.sequence.times if result.sequence.times is not None else \
        np.arange(len(result.sequence)) / result.sequence.fps
    metrics = {m["rep"]: m for m in result.analysis.extras["rep_metrics"]}
    rows = re.findall(r"<tr><td>(\d+)</td><td>[^<]*</td><td>([^<]*)</td>", html)
    assert rows and "<th>turn</th>" in html
    for rep, shown in rows:
        assert shown == f"{times[metrics[int(rep)]['frames']['turn']]:.1f} s"

"""The live coach on real clips' poses, fed as a camera would feed it: irregular timestamps and frames
dropped by a slow machine. Counts must match the offline counter, every rep gets one cue, soon."""

import csv

import numpy as np
import pytest

from gyml.pose.cache import cached_read_pose
from gyml.reps.counter import count_reps
from gyml.reps.live import LiveCoach
from tests.conftest import shared_path


def _manifest() -> dict[str, int]:
    with open(shared_path("videos", "counted", "manifest.csv")) as fh:
        return {row["video"]: int(row["reps"]) for row in csv.DictReader(fh)}


@pytest.mark.parametrize("clip", ["push-ups__push-up_37.mp4", "squats__squat_13.mp4"])
def test_live_coach_counts_and_cues_each_rep_from_dropped_frames(clip):
    seq = cached_read_pose(shared_path("videos", "counted", clip))
    labelled = _manifest()[clip]
    rng = np.random.default_rng(0)
    coach = LiveCoach()
    events = []
    start = 1000.0   # a browser's clock does not start at zero
    for i in range(len(seq)):
        if rng.random() < 0.45:      # the pose model keeps up with about half of the camera's frames
            continue
        stamp = start + i / seq.fps + rng.normal(0, 0.004)
        present = seq.present[i]
        events += coach.add(stamp, seq.joints[i] if present else None, seq.confidence[i] if present else None)
    events += coach.finish()
    cues = [e for e in events if e.kind == "cue"]
    assert coach.count == labelled == count_reps(seq).count
    assert [c.rep for c in cues] == list(range(1, labelled + 1))
    # each cue says what the exercise is taken for, and how sure
    label = clip.split("__")[0].rstrip("s").replace("-", "")
    assert all(c.exercise_text and c.exercise_text.lower().replace("-", "").startswith(label) for c in cues), \
        [c.exercise_text for c in cues]
    assert all(c.message.startswith(f"Rep {c.rep}: ") and len(c.message) > 12 for c in cues)
    # decided on the frames' clock within 1.5 s of the rep's end (the end of the stream for the last)
    end_of_stream = (len(seq) - 1) / seq.fps
    assert all(c.time_s - c.rep_end_s <= 1.5 or c.time_s >= end_of_stream - 0.2 for c in cues), \
        [(c.time_s, c.rep_end_s) for c in cues]
    assert [e.count for e in events if e.kind == "count"][-1] == labelled


def test_live_coach_ignores_frames_from_the_past_and_bridges_short_gaps():
    from gyml.synth.motion import synthesize

    seq = synthesize("squat", 6, seed=1)
    coach = LiveCoach(rate=10.0, coach=False)
    for i in range(0, len(seq), 3):      # 10 fps of a 30 fps set: the grid is filled in between
        coach.add(i / seq.fps, seq.joints[i], seq.confidence[i])
        assert coach.add(i / seq.fps - 0.5, seq.joints[i]) == []   # late, out of order: ignored
    coach.finish()
    assert coach.count == 6
    assert coach._ticks == pytest.approx(len(seq) / seq.fps * 10.0, abs=3)


def _as_camera(seq, coach, fps: float = 15.0):
    """Feed a recording's poses to a live coach as a camera sending `fps` frames a second would."""
    events = []
    for k in range(int(len(seq) / seq.fps * fps)):
        i = min(len(seq) - 1, int(k / fps * seq.fps))
        present = seq.present[i]
        events += coach.add(k / fps, seq.joints[i] if present else None, seq.confidence[i] if present else None)
    return events + coach.finish()


def _check_one_cue_per_held_rep(coach, events) -> tuple[list, list]:
    """Each rep of the final count has exactly one cue standing; no rep identity is cued twice; a cue
    whose rep the final count does not hold was retracted. Returns (cues, retractions)."""
    cues = [e for e in events if e.kind == "cue"]
    retracted = [e for e in events if e.kind == "retract"]
    cued = [c.rep_id for c in cues]
    assert len(cued) == len(set(cued)), "a rep cued twice"
    held = {r.id for r in coach.counter.reps}
    standing = set(cued) - {r.rep_id for r in retracted}
    assert standing == held
    assert {r.rep_id for r in retracted} <= set(cued) - held
    return cues, retracted


def test_live_cues_each_rep_of_the_final_count_once_and_no_other_on_the_counted_clips():
    """The 12 counted clips (the pull-up clip once sent 8 cues for its 4 reps): as a 15 fps camera, every
    rep the final count holds is cued once, and no cue is ever sent for a rep it does not hold."""
    manifest = _manifest()
    total = 0
    for clip in manifest:
        seq = cached_read_pose(shared_path("videos", "counted", clip))
        coach = LiveCoach(coach=False)
        cues, retracted = _check_one_cue_per_held_rep(coach, _as_camera(seq, coach))
        assert retracted == [], clip
        assert coach.count == len(cues) == count_reps(seq).count, clip
        total += len(cues)
    assert total >= 25


def test_a_cue_for_a_rep_the_count_withdraws_is_retracted():
    """A bench press set that MediaPipe tracks badly: the live count keeps changing its mind, and every
    cue for a rep it finally does not hold is retracted, while each rep it holds keeps exactly one cue."""
    from gyml.pose.readers import read_pose

    seq = read_pose(shared_path("repcount_pose", "dev", "stu10_5.npy"))
    coach = LiveCoach(coach=False)
    events = _as_camera(seq, coach)
    cues, retracted = _check_one_cue_per_held_rep(coach, events)
    assert retracted and coach.count >= 5
    for r in retracted:   # each retraction comes after its cue, and says so
        cue = next(c for c in cues if c.rep_id == r.rep_id)
        assert events.index(cue) < events.index(r) and "taken back" in r.message


def test_the_websocket_sends_a_retraction_after_its_cue_and_never_a_cue_withdrawn_before_it_went_out():
    import queue
    import threading
    import time

    from gyml.reps.live import LiveEvent
    from gyml.web.live import LiveChannel

    sent = []
    channel = LiveChannel(sent.append)
    coach = LiveCoach(coach=False)
    coach._t0 = 100.0

    def cue(rep_id):
        event = LiveEvent("cue", 1, 2.0, 1, rep_id, 1.0, "Rep 1.", "info")
        event.judge = lambda: event
        return event

    judging: queue.Queue = queue.Queue()
    warm = threading.Event()
    # rep 7 is cued and its cue goes out; then the count withdraws it
    channel._route(cue(7), coach, judging)
    # rep 8 is cued, and withdrawn while its cue still waits for the coach: it must never be sent
    channel._route(cue(8), coach, judging)
    channel._route(LiveEvent("retract", 0, 2.5, 1, 8, 1.0, "Rep 1 taken back."), coach, judging)
    worker = threading.Thread(target=channel._judge, args=(judging, coach, warm))
    worker.start()
    assert warm.wait(10)
    deadline = time.monotonic() + 10
    while not sent and time.monotonic() < deadline:
        time.sleep(0.01)
    channel._route(LiveEvent("retract", 0, 3.0, 1, 7, 1.0, "Rep 1 taken back."), coach, judging)
    judging.put(None)
    worker.join(10)
    assert [(m["type"], m["rep_id"]) for m in sent] == [("cue", 7), ("retract", 7)]
    assert sent[0]["time_s"] == 102.0 and sent[1]["time_s"] == 103.0   # on the client's clock


def _plank(seed: int = 4, **rest):
    import dataclasses

    from gyml.synth import CATALOG, SynthConfig, synthesize

    spec = CATALOG["plank"]
    if rest:
        spec = dataclasses.replace(spec, rest={**spec.rest, **rest})
    return synthesize(spec, 4, seed=seed, config=SynthConfig(noise_m=0.01))


def test_a_named_hold_is_timed_live_and_its_posture_fault_told_once_when_it_starts():
    # a plank held well for 12 s, then with the hips sagging for 12 s, sent as a 15 fps camera: the sag
    # is told once, soon after it starts, and the end gives the hold's times (before, live had only
    # "total: 0 reps" for a hold)
    good, sagging = _plank(), _plank(hip_flex_l=-35, hip_flex_r=-35)
    joints = np.concatenate([good.joints, sagging.joints])
    conf = np.concatenate([good.confidence, sagging.confidence])
    seq = type(good)(joints, conf, good.fps, source="synth")
    coach = LiveCoach(exercise="plank")
    events = _as_camera(seq, coach)
    cues = [e for e in events if e.kind == "cue"]
    faults = [c for c in cues if c.severity in ("fault", "warn")]
    assert [c.message.split(" at ")[0] for c in faults] == ["Hips sagged"], [c.message for c in cues]
    began = good.duration
    assert abs(faults[0].rep_end_s - began) < 1.5 and faults[0].time_s - began < 2.5
    assert "held" in cues[-1].message and "hips sag" in cues[-1].message and coach.count == 0
    # and each second, how long it has been held so far (the page shows it where a set shows its count)
    ticks = [e.held_s for e in events if e.kind == "hold"]
    assert len(ticks) >= seq.duration - 3 and ticks == sorted(ticks) and ticks[-1] > seq.duration - 3
    clean = [e for e in _as_camera(_plank(seed=5), LiveCoach(exercise="plank")) if e.kind == "cue"]
    assert len(clean) == 1 and "no form faults" in clean[0].message


def test_a_hold_left_unnamed_is_recognised_live_before_any_rep_and_timed():
    # the same plank, hips sagging in its second half, with no exercise named: before, live recognised
    # an exercise only at a rep, so a hold got nothing at all
    good, sagging = _plank(), _plank(hip_flex_l=-35, hip_flex_r=-35)
    seq = type(good)(np.concatenate([good.joints, sagging.joints]),
                     np.concatenate([good.confidence, sagging.confidence]), good.fps, source="synth")
    coach = LiveCoach()
    events = _as_camera(seq, coach)
    cues = [e for e in events if e.kind == "cue"]
    assert coach.hold and coach.hold_recognised_s < 4.0 and coach.exercise == "plank" and coach.count == 0
    assert cues[0].message.startswith("Looks like a plank (") and cues[0].time_s < 4.0
    assert [c.message.split(" at ")[0] for c in cues if c.severity == "fault"] == ["Hips sagged"]
    assert "held" in cues[-1].message and not [e for e in events if e.kind == "count"]


def test_a_rep_set_is_not_taken_for_a_hold_while_the_person_gets_ready():
    from gyml.synth import CATALOG, SynthConfig, synthesize

    # three still seconds before the first squat: recognition runs on them, and must not stop the count
    seq = synthesize(CATALOG["squat"], 6, seed=2, config=SynthConfig(noise_m=0.01))
    still = np.repeat(seq.joints[:1], int(3 * seq.fps), axis=0)
    joints = np.concatenate([still, seq.joints])
    conf = np.concatenate([np.repeat(seq.confidence[:1], len(still), axis=0), seq.confidence])
    coach = LiveCoach()
    events = _as_camera(type(seq)(joints, conf, seq.fps, source="synth"), coach)
    assert not coach.hold and coach.count == 6
    assert not [e for e in events if e.kind == "cue" and e.message.startswith("Looks like")]


def test_a_hold_longer_than_the_counting_window_is_timed_whole():
    # the live counter keeps the last minute of frames; a 94-s plank was told "held 60.0 s"
    from gyml.synth import CATALOG, SynthConfig, synthesize

    seq = synthesize(CATALOG["plank"], 30, seed=3, config=SynthConfig(noise_m=0.002))
    assert seq.duration > 90
    final = [e for e in _as_camera(seq, LiveCoach(exercise="plank")) if e.kind == "cue"][-1].message
    held = float(final.split(" held ")[1].split(" s")[0])
    assert held > seq.duration - 2, final


def _joined(*parts):
    return type(parts[0])(np.concatenate([p.joints for p in parts]).astype(np.float32),
                          np.concatenate([p.confidence for p in parts]), parts[0].fps, source="synth")


def test_lying_still_on_the_back_before_sit_ups_is_no_plank():
    # the model read it as a plank (83%): the hold stuck, and the sit-ups were never counted
    from gyml.reps.counter import count_reps
    from gyml.synth import CATALOG, SynthConfig, synthesize

    seq = synthesize(CATALOG["sit_up"], 6, seed=2, config=SynthConfig(noise_m=0.005))
    rng = np.random.default_rng(0)
    n = int(6 * seq.fps)
    still = type(seq)(seq.joints[:1] + rng.normal(0, 0.004, (n, *seq.joints.shape[1:])).astype(np.float32),
                      np.repeat(seq.confidence[:1], n, 0), seq.fps, source="synth")
    coach = LiveCoach(defer_coaching=True)
    events = _as_camera(_joined(still, seq), coach)
    assert not [e for e in events if e.kind == "cue" and e.message.startswith("Looks like")]
    assert not coach.hold and not coach.holds_left and coach.count == count_reps(seq).count == 6


def test_a_plank_then_push_ups_is_timed_then_counted():
    from gyml.reps.counter import count_reps
    from gyml.synth import CATALOG, SynthConfig, synthesize

    plank = synthesize(CATALOG["plank"], 3, seed=1, config=SynthConfig(noise_m=0.003))
    push = synthesize(CATALOG["push_up"], 6, seed=2, config=SynthConfig(noise_m=0.003))
    coach = LiveCoach(defer_coaching=True)
    events = _as_camera(_joined(plank, push), coach)
    cues = [e.message for e in events if e.kind == "cue"]
    assert cues[0].startswith("Looks like a plank") and cues[1].startswith("Plank held"), cues
    assert float(cues[1].split(" held ")[1].split(" s")[0]) > plank.duration - 1
    assert coach.holds_left == ["plank"] and not coach.hold and coach.count == count_reps(push).count == 6
    assert [e.count for e in events if e.kind == "count"][-1] == 6


def test_push_ups_then_a_plank_keep_their_count_and_the_plank_is_timed():
    # before, live looked for a hold only before the first rep: a plank after push-ups got nothing
    from gyml.synth import CATALOG, SynthConfig, synthesize

    config = SynthConfig(noise_m=0.003)
    push = synthesize(CATALOG["push_up"], 6, seed=11, config=config)
    plank = synthesize(CATALOG["plank"], 3, seed=11, config=config)   # the same body
    coach = LiveCoach(defer_coaching=True)
    events = _as_camera(_joined(push, plank), coach)
    taken = [e for e in events if e.kind == "cue" and "timing the hold" in (e.message or "")]
    assert coach.hold and coach.exercise == "plank" and coach.reps_before_hold == 6 and coach.count == 6
    assert len(taken) == 1 and push.duration < taken[0].time_s < push.duration + 8
    assert max(e.held_s for e in events if e.kind == "hold") > plank.duration - 3
    assert {e.rep for e in events if e.kind == "cue" and e.rep_id is not None} == set(range(1, 7))
    assert not [e for e in events if e.kind == "retract" and e.time_s > push.duration]

    # and push-ups again after it: the count goes on from 6, the reps numbered on from 7
    coach = LiveCoach(defer_coaching=True)
    events = _as_camera(_joined(push, plank, synthesize(CATALOG["push_up"], 6, seed=11, config=config)), coach)
    events += coach.finish()
    assert coach.holds_left == ["plank"] and not coach.hold and coach.count == 12
    assert [e.count for e in events if e.kind == "count"][-1] == 12
    numbers = [e.rep for e in events if e.kind == "cue" and e.rep_id is not None]
    assert sorted(set(numbers)) == list(range(1, 13)), numbers
    assert len(coach.reps) == 12


@pytest.mark.parametrize("sag, body", [(-35, 23), (-20, 50)])
def test_push_ups_then_a_sagging_plank_count_the_set_alone_and_time_the_plank_after_it(sag, body):
    # a plank whose hips sag sits near a push-up's bottom: counted with the plank's first seconds in the
    # window, a rep was lost (body 23); and the hold judged over the whole window took the set's own
    # frames for the plank, left it for "reps" and counted the set's last three again (body 50)
    import dataclasses

    from gyml.synth import CATALOG, SynthConfig, synthesize

    config = SynthConfig(noise_m=0.003)
    push = synthesize(CATALOG["push_up"], 6, seed=body, config=config)
    sagging = dataclasses.replace(CATALOG["plank"], rest={**CATALOG["plank"].rest, "hip_flex_l": sag,
                                                          "hip_flex_r": sag})
    plank = synthesize(sagging, 4, seed=body, config=config)
    coach = LiveCoach(defer_coaching=True)
    events = _as_camera(_joined(push, plank), coach)
    assert coach.count == coach.reps_before_hold == count_reps(push).count == 6
    assert coach.hold and coach.exercise == "plank" and not coach.holds_left
    assert [e.count for e in events if e.kind == "count"][-1] == 6
    held = max(e.held_s for e in events if e.kind == "hold")
    assert plank.duration - 3 < held <= plank.duration + 1


def test_the_exercise_is_shown_with_how_sure_and_marked_when_a_guess():
    from gyml.classify.personal import PersonalPrediction
    from gyml.report.analysis import ExercisePrediction
    from gyml.reps.live import shown_exercise

    assert shown_exercise(ExercisePrediction("squat", "Squat", 0.92)) == "Squat (92%)"
    assert shown_exercise(ExercisePrediction("squat", "Squat", 0.41, guess=True)) == \
        "looks like squat (41%, a guess)"
    assert shown_exercise(ExercisePrediction("squat", "Squat", 1.0), named=True) == "Squat"
    assert shown_exercise(PersonalPrediction("box_step", "Box step", 0.9)) == "Box step (yours)"
    assert shown_exercise(None) is None

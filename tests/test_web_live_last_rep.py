"""A set's last rep, its return to rest in the very last frames before the live page's stop. A tester sent
squats__squat_19.mp4 (2 reps, 5.7 s) over /ws/live as 320 px JPEG at 12.5 frames/s: once the final count
was 1 (the second rep never counted), once 2, the second rep counted only at the stop and ending at 6.46 s,
after the clip's last frame. The stop went on with 2 s of "nobody seen", and the counter drew the last rep
on into those frames: its end kept moving with them, so it never ended half a second before "now" (most
runs), or ended somewhere inside them (the others). The stop now counts the frames received, as
`gyml live` counts a video at its end, and keeps the reps counted during the set as they were."""

import threading

import numpy as np
import pytest

from gyml.reps.live import LiveCoach
from tests.conftest import shared_path
from tests.live_frames import processed_frames

CLIP = "squats__squat_19.mp4"
SENT_FPS = 12.5
START = 1000.0   # a browser's clock (performance.now) does not start at zero


@pytest.fixture(scope="module")
def sent_frames():
    """The clip as the tester's client sent it: every second frame of the 25 fps video (12.5 frames/s),
    320 px wide, JPEG at quality 70, stamped with its time in the clip; with each frame's pose from the
    live pose model, the frames fed in that order (as the server's pose thread sees them)."""
    import av
    import cv2

    from gyml.pose.readers.video import pose_estimator, quiet_native_logs
    from gyml.reps.live import pose_of

    frames = []
    with av.open(str(shared_path("videos", "counted", CLIP))) as video:
        stream = video.streams.video[0]
        step = round(float(stream.average_rate) / SENT_FPS)
        for i, frame in enumerate(video.decode(stream)):
            if i % step == 0:
                bgr = frame.to_ndarray(format="bgr24", width=320, height=round(320 * frame.height / frame.width))
                frames.append((float(frame.time), cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 70])[1].tobytes()))
    poses = []
    with pose_estimator() as estimator, quiet_native_logs():
        for _, jpeg in frames:
            bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
            poses.append(pose_of(estimator, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
    return frames, poses


def through_the_backlog(n: int, sent_fps: float, model_s: float) -> list[int]:
    """The frames (of n sent at `sent_fps`) that a pose thread taking `model_s` a frame processes, as
    LiveChannel's FrameBacklog hands them over (the last frame sent is always processed)."""
    return list(processed_frames(n, sent_fps, lambda _, __: model_s))


# every frame; the tester's 11 of 12.5 frames/s; a pose model lagging at 6 frames/s
RATES = {"every frame": None, "11 frames/s processed": 1 / 11, "6 frames/s processed": 1 / 6}


@pytest.mark.parametrize("model", list(RATES))
def test_stop_counts_a_last_rep_that_returns_to_rest_in_the_last_frames(sent_frames, model):
    frames, poses = sent_frames
    kept = list(range(len(frames))) if RATES[model] is None else through_the_backlog(len(frames), SENT_FPS,
                                                                                    RATES[model])
    stamps = [START + frames[i][0] for i in kept]
    last = stamps[-1]

    # gyml live's count of the same frames: the stream counted whole at its end
    reference = LiveCoach(coach=False)
    for i, stamp in zip(kept, stamps):
        reference.add(stamp, *poses[i])
    reference.finish()
    assert reference.count == 2   # the clip's labelled count

    coach = LiveCoach(coach=False)
    events = []
    for i, stamp in zip(kept, stamps):
        events += coach.add(stamp, *poses[i])
    during = {e.rep_id for e in events if e.kind == "cue"}
    events += coach.stop(last)

    assert coach.count == reference.count, (model, [(r.start, r.end) for r in coach.reps])
    t0 = coach._t0
    ends = [r.end / coach.rate + t0 for r in coach.reps]
    assert all(end <= last + 1e-6 for end in ends), (ends, last)          # no rep ends after the last frame
    # the last rep ends where the frames' last return to rest is, as gyml live places it
    assert ends[-1] == pytest.approx(reference.reps[-1].end / reference.rate + t0, abs=0.25)
    cues = [e for e in events if e.kind == "cue"]
    assert sorted(c.rep_id for c in cues) == sorted(r.id for r in coach.reps)   # one cue per rep
    assert not [e for e in events if e.kind == "retract"]
    for cue in cues:
        assert cue.rep_end_s + t0 <= last + 1e-6 and cue.time_s + t0 <= last + 1e-6, (cue, last)
        if cue.rep_id not in during:   # counted at the stop: its number and times are the count's
            assert cue.rep == coach.count and cue.rep_end_s + t0 == pytest.approx(ends[-1])
    assert [e.count for e in events if e.kind == "count"][-1] == 2


@pytest.mark.parametrize("model", [None, 1 / 6])
def test_the_websocket_channel_counts_the_last_rep_sent_before_stop(sent_frames, model):
    """The same through the server's channel, with the JPEG frames and the live pose model: each frame is
    offered once the pose thread took the one before (every frame processed), or three at a time (the
    middle one, 80 ms after the first, thinned out of the backlog, as when the model lags); `stop` right
    after the last frame."""
    from gyml.web.live import LiveChannel

    frames, _ = sent_frames
    messages, ready, final = [], threading.Event(), threading.Event()

    def emit(message):
        messages.append(message)
        {"ready": ready, "final": final}.get(message["type"], threading.Event()).set()

    channel = LiveChannel(emit)
    channel.start()
    try:
        assert ready.wait(120)
        batch = 1 if model is None else 3
        for k in range(0, len(frames), batch):
            with channel._ready:   # all in the backlog before the pose thread looks
                for t, jpeg in frames[k:k + batch]:
                    channel.offer(START + t, jpeg)
            while channel.processed < channel.received - channel.dropped:   # the pose thread took them
                threading.Event().wait(0.005)
        channel.stop()
        assert final.wait(60)
    finally:
        channel.close()
    last = START + frames[-1][0]
    assert channel.dropped == (0 if model is None else len(frames) // 3)
    result = next(m for m in messages if m["type"] == "final")
    assert result["count"] == 2, result
    assert all(r["end_s"] <= last + 1e-6 for r in result["reps"]), (result, last)
    assert result["reps"][-1]["end_s"] > last - 1.0
    cues = [m for m in messages if m["type"] == "cue"]
    assert sorted(c["rep_id"] for c in cues) == sorted(r["rep_id"] for r in result["reps"])
    assert all(c["rep_end_s"] <= last + 1e-6 for c in cues)


def test_stop_pads_no_time_after_the_last_frame():
    """A set whose reps all settled before the stop: the stop adds no rep and moves none, and its events
    are stamped at the last frame, not two seconds after it."""
    from gyml.synth.motion import synthesize

    seq = synthesize("squat", 5, seed=3)
    coach = LiveCoach(coach=False)
    still = seq.joints[-1]
    stamps = [k / 15 for k in range(int((seq.duration + 3.0) * 15))]   # 3 s standing after the last rep
    for t in stamps:
        i = min(len(seq) - 1, int(t * seq.fps))
        coach.add(t, seq.joints[i] if t < seq.duration else still)
    before = [(r.id, r.start, r.end) for r in coach.reps]
    after = coach.stop(stamps[-1])
    assert [(r.id, r.start, r.end) for r in coach.reps] == before and coach.count == 5
    assert all(e.time_s <= stamps[-1] + 1e-6 for e in after)
    assert (coach._ticks - 1) / coach.rate <= stamps[-1] + 1e-6   # no frame put on the grid after it

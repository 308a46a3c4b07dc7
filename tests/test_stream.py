import json

import pytest

from gyml.reps.stream import StreamingCounter
from gyml.synth import SynthConfig, synthesize

from conftest import shared_path


@pytest.mark.parametrize("exercise,reps", [("squat", 10), ("push_up", 7), ("pull_up", 5)])
def test_streaming_count_matches_and_is_causal(exercise, reps):
    seq = synthesize(exercise, reps, seed=2, config=SynthConfig(lead_in_s=2))
    counter = StreamingCounter(seq.fps, latency_s=1.0, step_s=0.5)
    confirmed_at = []
    for t in range(len(seq)):
        before = counter.count
        counter.update(seq.joints[t], seq.confidence[t])
        confirmed_at += [t] * (counter.count - before)
    assert counter.finish() == reps
    # reps confirmed while streaming come at most latency + step + one period after their true end
    ends = [s["end"] for s in seq.metadata["segments"]]
    period = (ends[-1] - ends[0]) / max(reps - 1, 1)
    for t, end in zip(confirmed_at, ends):
        assert t - end <= 1.5 * seq.fps + period


def test_live_on_a_real_video(tmp_path):
    import subprocess
    import sys

    video = shared_path("videos", "counted", "push-ups__push-up_37.mp4")
    out = tmp_path / "overlay.mp4"
    r = subprocess.run([sys.executable, "-m", "gyml.cli", "live", str(video), "--output", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "total: 4 reps" in r.stdout and out.stat().st_size > 10_000


def _stream(seq, **kw):
    counter = StreamingCounter(seq.fps, **kw)
    history = []
    for joints, conf, present in zip(seq.joints, seq.confidence, seq.present):
        history.append(counter.update(joints if present else None, conf if present else None))
    return counter.finish(), history


def test_a_set_longer_than_the_window_keeps_the_reps_that_left_it():
    seq = synthesize("squat", 24, seed=4, config=SynthConfig(lead_in_s=1))
    assert len(seq) / seq.fps > 2.5 * 20          # the window slides past most reps
    final, history = _stream(seq, window_s=20)
    assert final == 24
    assert max(history) <= 25


@pytest.mark.parametrize("name", ["stu10_25", "stu6_42", "stu2_39"])
def test_streaming_ends_at_the_offline_count_on_real_sets(name):
    """Real RepCount sets shorter than the window: once the stream ends, the causal counter has seen what
    the offline one sees."""
    from gyml.pose.readers import read_pose
    from gyml.reps.counter import count_reps

    seq = read_pose(shared_path("repcount_pose", "dev", f"{name}.npy"))
    final, history = _stream(seq)
    assert final == count_reps(seq).count
    assert history[len(history) // 2] <= final

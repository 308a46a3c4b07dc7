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

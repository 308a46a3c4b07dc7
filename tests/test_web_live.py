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
    assert all(c.message.startswith(f"Rep {c.rep}: ") and len(c.message) > 12 for c in cues)
    # decided on the frames' clock within 1.5 s of the rep's end (the end of the stream for the last)
    end_of_stream = (len(seq) - 1) / seq.fps
    assert all(c.time_s - c.rep_end_s <= 1.5 or c.time_s >= end_of_stream - 0.2 for c in cues), \
        [(c.time_s, c.rep_end_s) for c in cues]
    assert [e.count for e in events if e.kind == "count"][-1] == labelled


def test_live_coach_ignores_frames_from_the_past_and_bridges_short_gaps():
    from gyml.synth.motion import synthesize

    seq = synthesize("squat", 6, seed=1)
    coach = LiveCoach(rate=15.0, coach=False)
    for i in range(0, len(seq), 3):      # 10 fps of a 30 fps set: the grid is filled in between
        coach.add(i / seq.fps, seq.joints[i], seq.confidence[i])
        assert coach.add(i / seq.fps - 0.5, seq.joints[i]) == []   # late, out of order: ignored
    coach.finish()
    assert coach.count == 6
    assert coach._ticks == pytest.approx(len(seq) / seq.fps * 15.0, abs=3)

"""The frames waiting for the live pose model: a model that keeps up sees every frame; one that stalls
catches up on the last CATCH_UP_S of frames, thinned, and the reps done meanwhile are counted. (Jumping to
the newest frame instead, a server stalling 1-3 s now and then lost reps, and a plank lying still counted
"reps" across the gap: benchmarks/live_frame_width.py.)"""

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gyml.reps.backlog import CATCH_UP_S, CATCH_UP_SPACING_S, FrameBacklog
from gyml.reps.live import LiveCoach
from tests.live_frames import processed_frames

SENT_FPS = 15.0


def served(n: int, model_s: float, stall: tuple[float, float] | None = None, backlog: bool = True) -> list[int]:
    """The frames (of n sent at SENT_FPS) a pose thread taking `model_s` a frame processes, in order;
    `stall`: (from, to) seconds during which it takes none."""
    def busy(_, t):
        return model_s + (stall[1] - t - model_s if stall and stall[0] <= t + model_s < stall[1] else 0.0)

    return list(processed_frames(n, SENT_FPS, busy, backlog))


def test_a_model_that_keeps_up_gets_every_frame_as_it_comes():
    backlog = FrameBacklog()
    for k in range(100):
        assert backlog.put(k / SENT_FPS, k) == 0
        assert backlog.take() == (k / SENT_FPS, k, 0)
    assert backlog.take() is None
    assert served(300, model_s=0.03) == list(range(300))


def test_after_a_stall_the_last_seconds_wait_thinned_and_the_newest_frame_last():
    backlog = FrameBacklog()
    stamps = [k / SENT_FPS for k in range(60)]   # 4 s of frames while the model is busy
    dropped = sum(backlog.put(t, t) for t in stamps)
    waiting = []
    while (item := backlog.take()) is not None:
        waiting.append(item)
    kept = [t for t, _, _ in waiting]
    assert kept[-1] == stamps[-1]                                  # the newest frame is never dropped
    assert kept[-1] - kept[0] <= CATCH_UP_S                        # nothing older than the catch-up span
    assert min(b - a for a, b in pairwise(kept[:-1])) >= CATCH_UP_SPACING_S - 1e-9
    assert len(kept) >= CATCH_UP_S / CATCH_UP_SPACING_S - 1         # the span is covered, not emptied
    assert dropped == len(stamps) - len(kept) and waiting[0][2] == dropped   # counted, told once
    assert [d for _, _, d in waiting[1:]] == [0] * (len(waiting) - 1)


@pytest.mark.parametrize("model_s", [0.03, 1 / 8])
def test_a_stall_in_the_middle_of_a_set_loses_no_rep(model_s):
    """Eight synthesised push-ups at 15 frames/s; the pose thread, keeping up or lagging at 8 frames/s, stalls
    for 1.6 s in the middle of the set. Through the backlog every rep is counted; a model handed the newest
    frame alone jumps over the reps done during the stall."""
    from gyml.synth.motion import SynthConfig, synthesize

    seq = synthesize("push_up", 8, seed=4, config=SynthConfig(noise_m=0.01))
    n = int(seq.duration * SENT_FPS)
    middle = seq.metadata["segments"][3]["start"] / seq.fps
    counts = {}
    for backlog in (True, False):
        coach = LiveCoach(coach=False)
        for k in served(n, model_s, stall=(middle, middle + 1.6), backlog=backlog):
            coach.add(k / SENT_FPS, seq.joints[min(len(seq) - 1, int(k / SENT_FPS * seq.fps))])
        coach.finish()
        counts[backlog] = coach.count
    assert counts[True] == 8
    assert counts[False] < 8


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), max_size=400))
def test_a_client_choosing_its_stamps_keeps_few_frames_waiting(stamps):
    """Stamps are the client's (spaced to be kept, jumping back, all alike): at most the catch-up span's
    worth of frames wait, plus the newest (a live frame may be 2 MB)."""
    backlog = FrameBacklog()
    for t in [*stamps, *(k * CATCH_UP_SPACING_S for k in range(30))]:
        backlog.put(t, None)
        assert len(backlog) <= int(CATCH_UP_S / CATCH_UP_SPACING_S) + 2

"""The count shown live never falls below the number of a cue still standing.

A user's trial (pose at 0.6-3 frames/s) got count 3, then count 2 (a rep withdrawn for a moment: its cue
stands, it may come back), then the cue "Rep 4" (numbered counting that rep) beside the count 3."""

import numpy as np

from gyml.reps import stream
from gyml.reps.counter import RepCount, RepSegment
from gyml.reps.live import LiveCoach, LiveEvent
from gyml.synth import synthesize

A, B, C, D = (0, 10, 20), (22, 30, 40), (42, 50, 60), (62, 70, 80)


def _run(monkeypatch, script, seconds: float = 14.0, final: bool = True):
    """LiveCoach fed a still body at 10 frames/s while the counting runs return `script(frames seen)`;
    returns the coach and every event."""

    def scripted_count(seq, rest_pose=None, kinematics=None):
        reps = script(len(seq))
        return RepCount(len(reps), "gyml", [RepSegment(k + 1, *r) for k, r in enumerate(reps)],
                        np.zeros(len(seq)), 40.0)

    monkeypatch.setattr(stream, "count_gyml", scripted_count)
    coach = LiveCoach(coach=False)
    joints = synthesize("squat", 1, seed=0).joints[0]
    events: list[LiveEvent] = []
    for k in range(int(seconds * coach.rate)):
        events += coach.add(k / coach.rate, joints)
    if final:
        events += coach.finish()
    return coach, events


def _check_consistent(events: list[LiveEvent]) -> list[int]:
    """Asserts what the person sees holds together after every event; returns the counts shown."""
    standing: dict[int, int] = {}   # rep id -> the number its cue shows
    shown, counts = 0, []
    for event in events:
        if event.kind == "cue" and event.rep_id is not None:
            standing[event.rep_id] = event.rep
            assert event.count >= event.rep, event
        elif event.kind == "retract":
            standing.pop(event.rep_id)
            assert event.count >= max(standing.values(), default=0), event
        elif event.kind == "count":
            shown = event.count
            counts.append(shown)
        assert shown >= max(standing.values(), default=0), (event, standing, counts)
    return counts


def _trial(n: int) -> list:
    # three reps counted; the third missed by two runs (withdrawn, its cue standing); a fourth counted
    if n < 30:
        return []
    if n < 45:
        return [A]
    if n < 70:
        return [A, B]
    if n < 80:
        return [A, B, C]
    if n < 85:
        return [A, B]
    return [A, B, D]


def test_a_cue_numbered_past_a_withdrawn_rep_never_stands_beside_a_lower_count(monkeypatch):
    coach, events = _run(monkeypatch, _trial)
    counts = _check_consistent(events)
    cues = [(e.rep, e.rep_id) for e in events if e.kind == "cue"]
    assert [n for n, _ in cues] == [1, 2, 3, 4], cues   # numbering unchanged: rep 4 counts the withdrawn one
    # the withdrawal did not show 2 beside the cue "Rep 3", nor 3 beside "Rep 4" (it showed 2, then 3)
    assert counts == [1, 2, 3, 4], counts
    rep4 = next(e for e in events if e.kind == "cue" and e.rep == 4)
    assert rep4.count == 4
    assert coach.count == 3                # the counter's count (and the final one) is its own
    assert coach.reps_before_hold is None


def test_the_shown_count_falls_with_the_retraction_of_the_highest_cue(monkeypatch):
    def script(n):   # two reps counted and cued; the second missed from then on
        return [] if n < 30 else [A] if n < 45 else [A, B] if n < 60 else [A]

    coach, events = _run(monkeypatch, script, seconds=9.0, final=False)
    counts = _check_consistent(events)
    kinds = [(e.kind, e.count) for e in events if e.kind in ("count", "retract")]
    assert counts == [1, 2, 1], kinds
    # the count stays 2 while the cue "Rep 2" stands, and falls to 1 with its retraction, said at once
    retract = next(i for i, e in enumerate(events) if e.kind == "retract")
    assert events[retract].rep == 2 and events[retract].count == 1
    assert events[retract + 1].kind == "count" and events[retract + 1].count == 1
    assert coach.count == 1 and coach.shown_count == 1
    assert coach.counter.count == 1


def test_a_count_behind_a_retraction_goes_out_after_it():
    """Retractions go through the coaching thread (to follow their cue); the count that falls with one
    follows it there, and counts after it keep their order."""
    import queue
    import threading
    import time

    from gyml.web.live import LiveChannel

    sent = []
    channel = LiveChannel(sent.append)
    coach = LiveCoach(coach=False)
    coach._t0 = 0.0
    cue = LiveEvent("cue", 2, 2.0, 2, 7, 1.0, "Rep 2.", "info")
    cue.judge = lambda: cue
    judging: queue.Queue = queue.Queue()
    warm = threading.Event()
    worker = threading.Thread(target=channel._judge, args=(judging, coach, warm))
    channel._route(LiveEvent("count", 2, 1.5), coach, judging)
    channel._route(cue, coach, judging)
    worker.start()
    assert warm.wait(10)
    deadline = time.monotonic() + 10
    while len(sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    channel._route(LiveEvent("retract", 1, 3.0, 2, 7, 1.0, "Rep 2 taken back."), coach, judging)
    channel._route(LiveEvent("count", 1, 3.0), coach, judging)
    channel._route(LiveEvent("count", 2, 3.5), coach, judging)
    judging.put(None)
    worker.join(10)
    assert [(m["type"], m["count"]) for m in sent] == [("count", 2), ("cue", 2), ("retract", 1), ("count", 1),
                                                       ("count", 2)]
    assert channel._ordered == 0

"""The count shown live never falls below the number of a cue still standing.

A user's trial (pose at 0.6-3 frames/s) got count 3, then count 2 (a rep withdrawn for a moment: its cue
stands, it may come back), then the cue "Rep 4" (numbered counting that rep) beside the count 3. And when
such a rep is taken back for good, the cues after it are renumbered and the count shown falls to the
count: it read "4" beside 3 reps until the set ended, and the cues' numbers counted the rep taken back."""

import copy

import numpy as np

from gyml.reps import stream
from gyml.reps.counter import RepCount, RepSegment
from gyml.reps.live import LiveCoach, LiveEvent
from gyml.synth import synthesize

A, B, C, D, E = (0, 10, 20), (22, 30, 40), (42, 50, 60), (62, 70, 80), (82, 90, 100)


def _count_by(monkeypatch, script):
    """Every counting run returns `script(frames seen)`'s reps; the still body to feed (one squat frame)."""

    def scripted_count(seq, rest_pose=None, kinematics=None):
        reps = script(len(seq))
        return RepCount(len(reps), "gyml", [RepSegment(k + 1, *r) for k, r in enumerate(reps)],
                        np.zeros(len(seq)), 40.0)

    monkeypatch.setattr(stream, "count_gyml", scripted_count)
    return synthesize("squat", 1, seed=0).joints[0]


def _run(monkeypatch, script, seconds: float = 14.0, final: bool = True, states: list | None = None):
    """LiveCoach fed a still body at 10 frames/s while the counting runs return `script(frames seen)`;
    returns the coach and every event as it was told (a copy, as the page got it). With
    `states`, (count, shown count, ids counted, kinds of the events told) after each frame is appended to it."""

    joints = _count_by(monkeypatch, script)
    coach = LiveCoach(coach=False)
    events: list[LiveEvent] = []
    for k in range(int(seconds * coach.rate)):
        told = [copy.copy(e) for e in coach.add(k / coach.rate, joints)]
        events += told
        if states is not None:
            states.append((coach.count, coach.shown_count, [r.id for r in coach.counter.reps],
                           [e.kind for e in told]))
    if final:
        events += [copy.copy(e) for e in coach.finish()]
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
        elif event.kind == "renumber":   # follows the retraction that lowers it, before the count falls
            assert event.rep < standing[event.rep_id] and event.count >= event.rep, event
            standing[event.rep_id] = event.rep
        elif event.kind == "count":
            shown = event.count
            counts.append(shown)
        assert shown >= max(standing.values(), default=0), (event, standing, counts)
    return counts


def _scripted(*steps: tuple[int, list], then: list):
    """A counting script: before run n reaches each step's bound, the reps listed with it; `then` after."""
    def script(n: int) -> list:
        return next((reps for bound, reps in steps if n < bound), then)
    return script


# three reps counted; the third missed by two runs (withdrawn, its cue standing); a fourth counted
_trial = _scripted((30, []), (45, [A]), (70, [A, B]), (80, [A, B, C]), (85, [A, B]), then=[A, B, D])


def test_a_cue_numbered_past_a_withdrawn_rep_never_stands_beside_a_lower_count(monkeypatch):
    coach, events = _run(monkeypatch, _trial)
    counts = _check_consistent(events)
    cues = [(e.rep, e.rep_id) for e in events if e.kind == "cue"]
    assert [n for n, _ in cues] == [1, 2, 3, 4], cues   # while withdrawn, rep 4 counts the withdrawn one
    # the withdrawal did not show 2 beside the cue "Rep 3", nor 3 beside "Rep 4" (it showed 2, then 3);
    # once that rep is taken back for good, "Rep 4" is rep 3 and the count shown falls to the count
    assert counts == [1, 2, 3, 4, 3], counts
    rep4 = next(e for e in events if e.kind == "cue" and e.rep == 4)
    assert rep4.count == 4
    kinds = [(e.kind, e.rep, e.rep_id) for e in events if e.kind in ("retract", "renumber")]
    assert kinds == [("retract", 3, 3), ("renumber", 3, 4)], kinds
    assert coach.count == coach.shown_count == 3     # the counter's count (and the final one) is its own
    assert coach._cued[4].rep == 3 and coach._cued[4].message == "Rep 3."
    assert coach.reps_before_hold is None


# three reps counted and cued; the second missed from then on (taken back once RECALL_S has passed),
# the third kept; a fourth counted after
_retracted_mid_set = _scripted((30, []), (45, [A]), (65, [A, B]), (80, [A, B, C]), (110, [A, C]), then=[A, C, E])


def test_a_retraction_mid_set_renumbers_the_cues_after_it_and_the_count_shown_falls_to_the_count(monkeypatch):
    states: list = []
    coach, events = _run(monkeypatch, _retracted_mid_set, seconds=16.0, final=False, states=states)
    counts = _check_consistent(events)
    assert counts == [1, 2, 3, 2, 3], counts
    retract = next(i for i, e in enumerate(events) if e.kind == "retract")
    assert (events[retract].rep, events[retract].rep_id) == (2, 2)
    renumber = events[retract + 1]
    assert (renumber.kind, renumber.rep, renumber.rep_id, renumber.count) == ("renumber", 2, 3, 2)
    assert renumber.message == "Rep 3 is now rep 2: a rep before it was taken back."
    assert (events[retract + 2].kind, events[retract + 2].count) == ("count", 2)
    # while the rep is withdrawn for a moment, its cue stands and so does the count shown; right after the
    # retraction (the same frame), the count shown is the count, and stays it
    withdrawn = next(k for k, state in enumerate(states) if state[2] == [1, 3])
    frame = next(k for k, state in enumerate(states) if "retract" in state[3])
    assert withdrawn < frame and all(state[:2] == (2, 3) for state in states[withdrawn:frame])
    assert states[frame][:2] == (2, 2) and all(count == shown for count, shown, *_ in states[frame:])
    # the cue of the rep after it now reads as its place in the count; the next rep's cue follows it
    assert coach._cued[3].rep == 2 and coach._cued[3].message == "Rep 2."
    last = [e for e in events if e.kind == "cue"][-1]
    assert (last.rep, last.message, last.count) == (3, "Rep 3.", 3)
    assert coach.count == coach.shown_count == 3
    # the final count numbers the cues as they stand
    coach.finish()
    assert [(r.id, coach._cued[r.id].rep) for r in coach.reps] == [(1, 1), (3, 2), (4, 3)]


# the second rep missed by two runs (withdrawn: its cue stands) while a third is cued, then counted again
_withdrawn_and_restored = _scripted((30, []), (45, [A]), (65, [A, B]), (75, [A, C]), then=[A, B, C])


def test_a_rep_withdrawn_for_a_moment_and_restored_keeps_its_cue_and_number(monkeypatch):
    states: list = []
    coach, events = _run(monkeypatch, _withdrawn_and_restored, seconds=12.0, final=False, states=states)
    _check_consistent(events)
    assert any(count < shown for count, shown, *_ in states)   # withdrawn for a moment: its cue stood
    assert not [e for e in events if e.kind in ("retract", "renumber")]
    cues = [(e.rep, e.rep_id, e.message) for e in events if e.kind == "cue"]
    assert cues == [(1, 1, "Rep 1."), (2, 2, "Rep 2."), (3, 3, "Rep 3.")], cues
    assert [r.id for r in coach.counter.reps] == [1, 2, 3]   # back with its identity
    assert {i: c.rep for i, c in coach._cued.items()} == {1: 1, 2: 2, 3: 3}
    assert coach.count == coach.shown_count == 3


def test_a_cue_judged_elsewhere_takes_the_number_it_has_when_judged(monkeypatch):
    """With defer_coaching, a cue is judged in another thread: renumbered while it waits, it is judged
    under its new number, not the one it was cued with."""
    from gyml.reps import live

    monkeypatch.setattr(live, "coach_rep", lambda coach, seg, seq, offset: ("Good form.", "info", "Squat"))
    events: list = []
    waiting: dict = {}

    joints = _count_by(monkeypatch, _retracted_mid_set)
    coach = LiveCoach(defer_coaching=True)
    for k in range(int(16.0 * coach.rate)):
        for event in coach.add(k / coach.rate, joints):
            if event.kind == "cue" and event.rep_id != 3:
                event = event.judge()   # judged at once
            elif event.kind == "cue":
                waiting[3] = event      # rep 3's cue waits (its judge is slow) through the retraction
            events.append(copy.copy(event))
    assert (waiting[3].rep, waiting[3].message) == (3, "Rep 3.")   # as cued
    assert coach._cued[3].rep == 2                                 # renumbered while it waits
    judged = waiting[3].judge()
    assert (judged.rep, judged.message) == (2, "Rep 2: Good form.")
    assert [e.message for e in events if e.kind == "cue"] == ["Rep 1: Good form.", "Rep 2: Good form.", "Rep 3.",
                                                              "Rep 3: Good form."]
    assert coach.count == coach.shown_count == 3


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


def test_a_renumbering_follows_its_retraction_and_cue_through_the_coaching_thread():
    """A renumbering goes out after the retraction that causes it (and after its cue), before the count
    that falls with it; a cue renumbered while it waits to be judged goes out under its new number."""
    import functools
    import queue
    import threading

    from gyml.web.live import LiveChannel

    sent = []
    channel = LiveChannel(sent.append)
    coach = LiveCoach(coach=False)
    coach._t0 = 10.0
    cues = {}
    for rep_id, number in ((2, 2), (3, 3), (4, 4)):
        cue = LiveEvent("cue", number, number + 0.5, number, rep_id, float(number), f"Rep {number}.", "info")
        cue.judge = functools.partial(lambda c: c, cue)
        cues[rep_id] = cue
    judging: queue.Queue = queue.Queue()
    warm = threading.Event()
    for rep_id in (2, 3):
        channel._route(cues[rep_id], coach, judging)
    worker = threading.Thread(target=channel._judge, args=(judging, coach, warm))
    worker.start()
    assert warm.wait(10)
    for _ in range(2000):   # cues 2 and 3 out before rep 2 is taken back
        if channel._sent == {2, 3}:
            break
        threading.Event().wait(0.005)
    for rep_id in (3, 4):   # rep 4's cue still waiting for its judge: renumbered there, as LiveCoach does
        cues[rep_id].rep -= 1
        cues[rep_id].message = f"Rep {cues[rep_id].rep}."
    channel._route(cues[4], coach, judging)
    channel._route(LiveEvent("retract", 3, 6.0, 2, 2, 2.0, "Rep 2 taken back."), coach, judging)
    for rep_id in (3, 4):
        channel._route(LiveEvent("renumber", 3, 6.0, cues[rep_id].rep, rep_id, float(rep_id), "now"),
                       coach, judging)
    channel._route(LiveEvent("count", 3, 6.0), coach, judging)
    judging.put(None)
    worker.join(10)
    told = [(m["type"], m.get("rep_id"), m.get("rep"), m.get("message")) for m in sent]
    assert told == [("cue", 2, 2, "Rep 2."), ("cue", 3, 3, "Rep 3."), ("cue", 4, 3, "Rep 3."),
                    ("retract", 2, 2, "Rep 2 taken back."), ("renumber", 3, 2, "now"), ("renumber", 4, 3, "now"),
                    ("count", None, None, None)]
    assert sent[4]["count"] == 3 and sent[4]["time_s"] == 16.0 and channel._ordered == 0

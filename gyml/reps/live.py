"""Live counting and coaching: camera or video frames -> MediaPipe pose -> StreamingCounter -> a cue per rep.

`LiveCoach` is the core: frames come in with their own timestamps (a browser's, a camera's, a video's), are
put on a regular time grid (a frame lost or dropped is filled in from its neighbours), counted causally,
and each rep is coached once the counter's runs agree on it (two in a row by default), one cue per rep
identity; a cued rep that the count later withdraws is retracted, and the cues after it renumbered. A slow
machine thins frames rather than falling behind: `FrameBacklog` keeps the frames waiting for the pose model
(`latest_frames` for a camera or a video played live, the web app's LiveChannel for a browser's).

The OpenCV build gyml installs is headless (no window); the count is printed, with `output` drawn on the
frames of an H.264 file written with PyAV, and with `serve_port` shown in a browser: a small HTTP server
(standard library only) streams the frames with the count drawn on as MJPEG and the count as JSON.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from gyml.coach.holds import COUNT_HOLD_EDGE_S, HOLD_BESIDE_REPS_S, find_hold
from gyml.errors import GymlError
from gyml.pose.readers.mediapipe_landmarks import landmarks_to_sequence
from gyml.pose.readers.video import (
    MAX_SIDE,
    iter_frames,
    landmarks_of,
    pose_estimator,
    probe_video,
    quiet_native_logs,
)
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import NUM_JOINTS
from gyml.report.overlay import H264Writer
from gyml.reps.backlog import FrameBacklog
from gyml.reps.counter import RepCount, RepSegment
from gyml.reps.stream import StreamingCounter, StreamRep

LIVE_RATE = 10.0     # frames/s of the counter's time grid for camera input (a browser sends up to 15)
MAX_FILL_S = 0.5     # gaps up to this long are bridged by interpolation; longer ones count as nobody seen
RECOGNISE_UNTIL_S = 20.0   # the exercise is recognised again at each rep until this much has been seen
# the live counter's runs: one every COUNT_STEP_S, seeing a rep once it ended COUNT_LATENCY_S before now
COUNT_STEP_S = 0.5
COUNT_LATENCY_S = 0.5
CUE_RUNS = 2         # a rep is cued once this many counting runs in a row have counted it (see LiveCoach)
HOLD_STEP_S = 1.0    # a hold (a plank) is judged over the window this often
# Before any rep, an exercise left unnamed is recognised once every HOLD_STEP_S: a hold named surely
# (gyml.coach.holds.sure_hold) this many times in a row is taken for what the person does, and timed (a hold
# has no rep to recognise it at)
HOLD_AGREE = 2
HOLD_SEEN_S = 2.0    # seconds of the person seen before the first try
HOLD_KEEP_S = 1800.0  # a hold's frames are all kept (up to this long) for its times at the end
# A hold taken up from recognition (not named) is left for reps once this many are counted after it ended
# and the frames since are not recognised as a hold: lying still before sit-ups reads as a plank
HOLD_LEAVE_REPS = 2
# After reps, a hold is looked for on the last HOLD_BESIDE_REPS_S of frames once that long has passed since the
# last rep ended (no rep sighted since), as an analysis looks for one beside its reps


@dataclass
class LiveEvent:
    """What the live coach tells the person: the count changed, a rep's cue, that a cue is taken back
    (its rep was withdrawn from the count after the cue was sent), or that a cue's rep number changed
    (an earlier cued rep was taken back).

    A cue event is the cue as told: when an earlier cued rep is taken back, a "renumber" event gives the
    cue's new number; a cue judged later (`judge`, in another thread) is judged under the number it has
    then (its `rep` and "Rep N" set so), not the one it was cued with."""

    # "count", "cue", "retract", "renumber" (a standing cue's new number: `rep`, of the cue `rep_id`),
    # or "hold" (each second of a hold: held_s so far)
    kind: str
    count: int                 # reps counted so far, as shown (LiveCoach.shown_count)
    time_s: float              # the stream time (the frames' own clock) at which it was decided
    rep: int | None = None     # the rep a cue is about (1-based: its place in the count; see "renumber")
    rep_id: int | None = None  # the rep's identity: one cue per rep_id; "retract"/"renumber" name the cue's
    rep_end_s: float | None = None   # when that rep ended, on the frames' clock
    message: str | None = None
    severity: str | None = None      # "fault" (something to fix), "info" (fine, or nothing to compare with)
    exercise: str | None = None
    held_s: float | None = None      # a hold: seconds held so far (in the hold's position and still)
    exercise_text: str | None = None  # how the exercise is shown: "Squat (92%)", "looks like ... (a guess)"
    # with LiveCoach(defer_coaching=True), a cue's message is filled in by calling judge() (elsewhere)
    judge: Callable[[], LiveEvent] | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None and k != "judge"}


class LiveCoach:
    """Count and coach reps from timestamped frames of pose (joints (24, 3) or None when nobody was seen).

    `add(t, joints, confidence)` returns the events the frame caused; timestamps are seconds on any
    clock that only moves forward (a frame older than the last one is ignored).

    A rep is cued once `cue_runs` counting runs in a row have counted it (the counter's own measure of
    how settled a rep is; the count shows a rep after `counter.agree_runs`), once per rep identity; a
    cued rep that the count later withdraws gets a "retract" event naming its `rep_id`, and each cue still
    standing that was numbered after it a "renumber" event with its number one lower (a rep withdrawn
    only for a moment, `StreamingCounter.withdrawn_lately`, keeps its cue, and the numbers stay)."""

    def __init__(self, rate: float = LIVE_RATE, exercise: str | None = None, strictness: str = "intermediate",
                 coach: bool = True, cue_runs: int = CUE_RUNS, defer_coaching: bool = False):
        if cue_runs < 1:
            raise GymlError("cue_runs is at least 1 (a rep is cued once that many counting runs agree)")
        self.cue_runs = cue_runs
        # judging a rep takes a few hundred ms: a live caller may run it in another thread (event.judge)
        # so that the pose model keeps up with the camera meanwhile
        self.defer_coaching = defer_coaching
        self.rate = float(rate)
        self.exercise = exercise
        self.strictness = strictness
        self.coach = coach
        self.counter = StreamingCounter(self.rate, step_s=COUNT_STEP_S, latency_s=COUNT_LATENCY_S,
                                        orient_by_reps=True)
        self._joints: deque = deque(maxlen=self.counter.window)
        self._conf: deque = deque(maxlen=self.counter.window)
        self._t0: float | None = None
        self._last: tuple[float, np.ndarray | None, np.ndarray | None] | None = None
        self._ticks = 0            # frames put on the grid so far
        # rep id -> its cue as it stands (a copy of the one told, renumbered), for the reps cued and not taken back
        self._cued: dict[int, LiveEvent] = {}
        # held while a cue's number changes here, and while its judge (perhaps in another thread) reads it
        self.numbering = threading.Lock()
        self._told_count = 0       # the count the last "count" event showed
        self._ever_counted: set[int] = set()   # ids of the reps the count has held at some time
        self._runs_seen = 0
        self._prediction = None
        self._predicted_frames = 0
        self._golds: dict[str, tuple[PoseSequence | None, RepCount | None]] = {}
        self.frames_in = 0
        self.exercise_text: str | None = None   # the exercise as the cues show it (see shown_exercise)
        # A named hold is timed and its posture coached as it goes (gyml.coach.holds), not counted.
        from gyml.coach.holds import is_hold
        from gyml.validate import check_exercise
        self.hold = coach and exercise is not None and is_hold(check_exercise(exercise))
        if self.hold:
            from gyml.coach.holds import hold_title
            self.exercise = check_exercise(exercise)
            self.exercise_text = hold_title(self.exercise)
        self._hold_told: dict[str, float] = {}   # fault -> where (stream seconds) its last told stretch ended
        # every frame of a hold (the counting window keeps only the last minute, and planks last longer)
        self._held: deque = deque(maxlen=int(HOLD_KEEP_S * self.rate))
        self._hold_began: float | None = None   # stream seconds the hold was first found to begin
        self._hold_ended: float | None = None   # and where it last read as ending
        self.hold_recognised_s: float | None = None   # when a hold was taken up from recognition (not named)
        self.holds_left: list[str] = []   # recognised holds left for reps (their exercise), in order
        self._hold_votes: tuple[str | None, int] = (None, 0)   # the hold recognised last, and how often in a row
        # reps of the parts of the stream before the current counter (reps, then a hold, then reps again)
        self._banked: list[StreamRep] = []
        self.reps_before_hold: int | None = None   # when a hold followed reps: how many were counted before it
        self._hold_from: int | None = None   # and the stream frame it is looked for from (the reps' frames are not)

    @property
    def count(self) -> int:
        return len(self._banked) + self.counter.count

    @property
    def shown_count(self) -> int:
        """The count as shown to the person: the count, or the highest rep number whose cue still stands if
        that is higher. A cued rep the counter withdraws for a moment keeps its cue (it may come back), and
        the cues after it are numbered counting it: with the counter's count alone, a user saw "3" beside
        the cue "Rep 4". It falls when a retraction takes that cue away, and with it the numbers of the
        cues after it (renumbered then: before, "9" stood beside 8 reps until the set ended)."""
        # only reps the count has held: a cue sent for a rep only sighted (before a plank, say) is no rep
        # the count ever showed, and must not raise it
        numbers = [cue.rep for rep_id, cue in self._cued.items()
                   if cue.rep is not None and rep_id in self._ever_counted | {r.id for r in self.counter.reps}]
        return max(self.count, *numbers) if numbers else self.count

    def _count_news(self, now: float) -> list[LiveEvent]:
        """A "count" event when the shown count differs from the one last shown."""
        shown = self.shown_count
        if shown == self._told_count:
            return []
        self._told_count = shown
        return [LiveEvent("count", shown, now)]

    def _told(self, now: float, cues: list[LiveEvent]) -> list[LiveEvent]:
        """The events of `_cues` in the order told: its retractions and the renumberings they cause, then
        the count they leave shown (when it changed), then its cues."""
        first = ("retract", "renumber")
        return ([e for e in cues if e.kind in first] + self._count_news(now)
                + [e for e in cues if e.kind not in first])

    @property
    def reps(self) -> list[StreamRep]:
        """Every rep counted so far, over the parts of the stream (ids are per part)."""
        return self._banked + self.counter.reps

    def add(self, t: float, joints: np.ndarray | None, confidence: np.ndarray | None = None) -> list[LiveEvent]:
        if self._t0 is None:
            self._t0 = t
        rel = t - self._t0
        if self._last is not None and rel <= self._last[0]:
            return []
        self.frames_in += 1
        events: list[LiveEvent] = []
        while self._ticks / self.rate <= rel + 1e-9:
            at = self._ticks / self.rate
            j, c = self._fill(at, rel, joints, confidence)
            events += self._push(j, c)
        self._last = (rel, joints, confidence)
        return events

    def stop(self, last_stamp: float | None) -> list[LiveEvent]:
        """The events that end a set the person stopped (a camera), the reps counted and cued before left
        as they were; `last_stamp`: the time of the last frame sent (counted already by `add`).

        `finish` counts the whole window again as an offline analysis would (the set's rest pose known from
        both ends) and takes that count as final: on a 40 s set from a browser's 320 px frames it placed
        some reps elsewhere, so cues sent 6-36 s before were retracted and sent again under numbers already
        shown. Here the reps on show stay as they are, and one last counting run over the frames up to the
        last one (the rest pose as the set was counted) adds the reps still settling: those counted by
        too few runs yet, and the last rep when its return to rest is in the last frames, which no run
        could see ended `COUNT_LATENCY_S` before "now". (The stream once went on as "nobody seen" for 2 s
        instead: the counter drew that last rep on into those frames, so that it was never counted, or
        counted ending after the last frame.) Nothing is stamped after the last frame.
        A hold still ends with `finish` (its times, judged on all of it), and so does a set with nothing
        counted yet (nothing was cued, and a short hold is recognised there)."""
        if self.hold or self.count == 0 or last_stamp is None:
            return self.finish()
        now = max(0.0, min(self._ticks / self.rate, last_stamp - self._t0))   # the last frame's time
        self.counter.finish(keep_shown=True)
        events = self._count_news(now)
        return events + self._told(now, self._cues(now, final=True))

    def finish(self) -> list[LiveEvent]:
        now = self._ticks / self.rate
        if self.hold:
            return self._hold_events(now, final=True)
        self.counter.finish()
        events = self._count_news(now)
        if self.coach and self.exercise is None and self.count == 0 and self._joints:
            # a hold shorter than the votes take: the whole of it, recognised once
            events += self._recognise_hold(now, agreeing=False)
            if self.hold:
                return events + self._hold_events(now, final=True)
        return events + self._told(now, self._cues(now, final=True))

    def _hold_events(self, now: float, final: bool = False) -> list[LiveEvent]:
        """A cue when a posture fault of the hold has lasted long enough to be named (once per stretch),
        judged on the last minute of frames, and at the end the hold's times, judged on all of them."""
        from gyml.coach.holds import checks_for, coach_hold, hold_summary, hold_title

        if not self._joints:
            return []
        if final and self._held:
            seq = PoseSequence(np.stack([j for j, _ in self._held]), np.stack([c for _, c in self._held]),
                               self.rate, source="live")
        else:
            seq = self.window()
            if self._hold_from is not None:   # a hold after reps: their frames are no part of it
                seq = seq.slice(max(0, self._hold_from - (self._ticks - len(seq))), len(seq))
        offset = (self._ticks - len(seq)) / self.rate   # stream seconds of the first frame judged
        # as offline: the person's stored gold, if any, once a set
        report = coach_hold(seq, self.exercise, self.gold_of(self.exercise)[0])
        checks = {c.fault: c for c in checks_for(self.exercise)[1]}
        events = []
        for stretch in report.segments:
            start, end = offset + stretch.start_s, offset + stretch.end_s
            if start <= self._hold_told.get(stretch.fault, -1.0):
                continue   # this stretch (or the one it continues) was told already
            self._hold_told[stretch.fault] = end if final else now
            check = checks[stretch.fault]
            events.append(LiveEvent("cue", self.shown_count, now, rep_end_s=start, severity=stretch.severity,
                                    exercise=self.exercise, exercise_text=self.exercise_text,
                                    message=f"{check.words[0].upper()}{check.words[1:]} at {start:.1f} s "
                                            f"({check.amount(stretch.deviation)} off the reference)."))
        for stretch in report.segments:   # a stretch still going on stays told while it lasts
            if self._hold_told.get(stretch.fault, -1.0) >= offset + stretch.start_s:
                self._hold_told[stretch.fault] = max(self._hold_told[stretch.fault], offset + stretch.end_s)
        if report.start_s is not None and not final:
            if self._hold_began is None:
                self._hold_began = offset + report.start_s
            self._hold_ended = offset + report.end_s
            events.append(LiveEvent("hold", self.shown_count, now, exercise=self.exercise,
                                    held_s=round(self._hold_ended - self._hold_began, 1)))
        if final:
            events.append(LiveEvent("cue", self.shown_count, now, severity="info", exercise=self.exercise,
                                    exercise_text=self.exercise_text,
                                    message=hold_summary(report, hold_title(self.exercise))))
        return events

    def _fill(self, at: float, rel: float, joints, confidence):
        """The pose at grid time `at` from the last frame and the new one at `rel` (linear in between)."""
        last = self._last
        if last is None or rel - last[0] > MAX_FILL_S or at >= rel:
            return (joints, confidence) if at >= rel - 0.5 / self.rate else (None, None)
        t0, j0, c0 = last
        if j0 is None or joints is None:   # one side saw nobody: the nearer frame speaks
            return (j0, c0) if at - t0 < rel - at else (joints, confidence)
        w = (at - t0) / (rel - t0)
        c0 = np.ones(NUM_JOINTS) if c0 is None else c0
        c1 = np.ones(NUM_JOINTS) if confidence is None else confidence
        return (1 - w) * j0 + w * joints, np.minimum(c0, c1)

    def _push(self, joints, confidence) -> list[LiveEvent]:
        if joints is None:
            joints, confidence = np.full((NUM_JOINTS, 3), np.nan, np.float32), np.zeros(NUM_JOINTS, np.float32)
        elif confidence is None:
            confidence = np.ones(NUM_JOINTS, np.float32)
        self._joints.append(np.asarray(joints, np.float32))
        self._conf.append(np.asarray(confidence, np.float32))
        self._ticks += 1
        now = self._ticks / self.rate
        step = self._ticks % max(1, round(HOLD_STEP_S * self.rate)) == 0
        if self.hold:   # a hold is timed, not counted: a sway is no rep
            self._held.append((self._joints[-1], self._conf[-1]))
            if not step:
                return []
            return self._hold_events(now) + self._leave_hold(now)
        self.counter.update(joints, confidence)
        events = self._count_news(now)
        if step and self.coach and self.exercise is None and self.count == 0:
            events += self._recognise_hold(now)
            if self.hold:
                return events + self._hold_events(now)
        elif step and self.coach and self.exercise is None and self._still_after_reps():
            events += self._recognise_hold(now, since=self._ticks - round(HOLD_BESIDE_REPS_S * self.rate))
            if self.hold:
                return events + self._close_reps(now) + self._hold_events(now)
        if self.counter.runs == self._runs_seen:
            return events   # no counting run this frame: nothing about the reps changed
        self._runs_seen = self.counter.runs
        return events + self._told(now, self._cues(now))

    def _leave_hold(self, now: float) -> list[LiveEvent]:
        """A recognised hold the person has left for reps: HOLD_LEAVE_REPS counted in the frames since it
        ended, which are not themselves recognised as a hold. The hold's times are told, and the reps
        are counted from its end on (a named hold is never left)."""
        from gyml.classify.default import recognise
        from gyml.coach.holds import is_hold
        from gyml.reps.counter import count_reps

        first = self._ticks - len(self._joints)
        if self.hold_recognised_s is None or self._hold_ended is None:
            return []
        start = max(first, int(round(self._hold_ended * self.rate)))
        if self._ticks - start < 2 * self.rate:
            return []
        since = self.window().slice(start - first, len(self._joints))
        if count_reps(since).count < HOLD_LEAVE_REPS:
            return []
        prediction = recognise(since)
        if prediction is not None and is_hold(prediction.label):
            return []
        events = self._hold_events(now, final=True)   # the hold's times, up to its end
        self._banked += self.counter.reps   # reps counted before the hold (none when it opened the stream)
        self._cued.clear()                  # their cues stand: the new counter's rep ids start again
        self._ever_counted.clear()
        counter = StreamingCounter(self.rate, step_s=COUNT_STEP_S, latency_s=COUNT_LATENCY_S,
                                   orient_by_reps=True)
        counter.frames_seen = start   # the count starts where the hold ended, on the stream's own frames
        for joints, confidence in zip(since.joints, since.confidence):
            counter.update(joints, confidence)
        self.counter, self._runs_seen = counter, counter.runs
        self.holds_left.append(self.exercise)
        self.hold, self.hold_recognised_s, self.exercise, self._prediction = False, None, None, None
        self.exercise_text = None
        self._held.clear()
        self._hold_told, self._hold_began, self._hold_ended, self._hold_votes = {}, None, None, (None, 0)
        self._hold_from = None
        # said even unchanged: the page shows the count again in place of the hold's seconds
        self._told_count = self.shown_count
        events.append(LiveEvent("count", self._told_count, now))
        return events + self._told(now, self._cues(now))

    def _still_after_reps(self) -> bool:
        """Reps were counted, and none has ended (or been sighted) in the last HOLD_BESIDE_REPS_S."""
        counter = self.counter
        if not counter.reps:
            return False
        last_end = max(r.end for r in counter.reps + counter.sighted)
        return self._ticks - last_end >= HOLD_BESIDE_REPS_S * self.rate

    def _close_reps(self, now: float) -> list[LiveEvent]:
        """A hold taken up after reps: their count is final (a hold adds none), and every rep of it not yet
        cued is cued now."""
        self._hold_from = self._still_since_reps()
        self.counter.finish(until=self._hold_from + int(round(COUNT_HOLD_EDGE_S * self.rate)))
        self.reps_before_hold = self.count
        events = self._count_news(now)
        return events + self._told(now, self._cues(now, final=True))

    def _still_since_reps(self) -> int:
        """The stream frame where the still stretch after the last rep began (the hold that followed the
        reps, as an analysis finds it), or the frame after the last rep."""
        first = self._ticks - len(self._joints)
        after = max(first, max(r.end for r in self.counter.reps + self.counter.sighted) + 1)
        part = self.window().slice(after - first, len(self._joints))
        still = find_hold(part.joints, part.present, part.fps, "own")
        return after + (0 if still is None else still[0])

    def _recognise_hold(self, now: float, agreeing: bool = True, since: int | None = None) -> list[LiveEvent]:
        """The window (from stream frame `since` on, when given) recognised; a hold named HOLD_AGREE times
        in a row (once, with `agreeing` False) at HOLD_SURE or more becomes the exercise (`hold`), announced
        with one cue."""
        from gyml.classify.personal import PersonalPrediction
        from gyml.coach.holds import checks_for, sure_hold

        first = self._ticks - len(self._joints)
        skip = 0 if since is None else max(0, since - first)
        window = self.window().slice(skip, len(self._joints))
        if np.count_nonzero(window.confidence.max(axis=1) > 0) < HOLD_SEEN_S * self.rate:
            return []
        prediction = sure_hold(window)   # the person's own holds first, as offline
        if prediction is None:
            self._hold_votes = (None, 0)
            return []
        label, votes = self._hold_votes
        self._hold_votes = (prediction.label, votes + 1 if label == prediction.label else 1)
        if agreeing and self._hold_votes[1] < HOLD_AGREE:
            return []
        if find_hold(window.joints, window.present, window.fps, checks_for(prediction.label)[0]) is None:
            self._hold_votes = (None, 0)   # the body is not in the hold's position (lying on the back)
            return []
        self.hold, self.hold_recognised_s = True, now
        self._held.extend(zip(window.joints, window.confidence))   # the hold began within the window
        self.exercise, self._prediction = prediction.label, prediction
        # an own exercise's score is the verifier's, not a probability: no percentage for it
        sureness = "" if isinstance(prediction, PersonalPrediction) else f" ({prediction.confidence:.0%})"
        self.exercise_text = shown_exercise(prediction)
        return [LiveEvent("cue", self.shown_count, now, severity="info", exercise=prediction.label,
                          exercise_text=self.exercise_text,
                          message=f"Looks like a {prediction.name.lower()}{sureness}: timing the hold.")]

    def _cues(self, now: float, final: bool = False) -> list[LiveEvent]:
        """Retractions of cued reps that are gone (withdrawn from the count, or, not yet in it, no longer
        counted), then cues for the reps settled enough: counted by `cue_runs` runs in a row (at the end
        of the stream, every rep of the final count)."""
        counter = self.counter
        alive = {r.id for r in counter.reps}
        if not final:   # a rep not counted just now may be counted again (see StreamingCounter.withdrawn_lately)
            alive |= {r.id for r in counter.sighted + counter.withdrawn_lately}
        events = []
        for rep_id in [i for i in self._cued if i not in alive]:
            cue = self._cued.pop(rep_id)
            events.append(LiveEvent("retract", self.shown_count, now, cue.rep, rep_id, cue.rep_end_s,
                                    f"Rep {cue.rep} taken back: the count no longer holds it.", "info"))
        events += self._renumber([e.rep for e in events if e.rep is not None], now)
        counted = counter.reps
        counted_ids = {c.id for c in counted}
        self._ever_counted |= counted_ids
        candidates = counted + [r for r in counter.sighted if r.id not in counted_ids]
        for rep in sorted(candidates, key=lambda r: r.mid):
            if rep.id in self._cued or not (final or counter.runs_agreeing(rep.id) >= self.cue_runs):
                continue
            if rep.start < self._ticks - len(self._joints):
                continue   # a rep kept from before the window's edge: no longer in view to coach
            # numbered after every earlier rep counted, and every earlier one cued that the count does not
            # hold just now (briefly withdrawn, or cued while only sighted): numbered by the count alone,
            # this rep would go out under the number already shown for that one
            earlier = {r.id for r in counted if r.mid < rep.mid}
            earlier |= {i for i, cue in self._cued.items()
                        if i not in counted_ids and cue.rep_end_s is not None and cue.rep_end_s * self.rate <= rep.mid}
            number = len(self._banked) + 1 + len(earlier)
            events.append(self._cue(rep, number, now))
        for event in events:   # the count shown once these are told: a cue's own number is part of it
            event.count = self.shown_count
        return events

    def _renumber(self, gone: list[int], now: float) -> list[LiveEvent]:
        """The cues still standing that were numbered after cues just taken back (numbers `gone`), each one
        lower per cue taken back before it: a "renumber" event for each. Only a retraction renumbers: a
        rep withdrawn for a moment keeps its cue, and the cues after it their numbers, as it may come back."""
        events = []
        for rep_id, cue in self._cued.items():
            below = sum(n < cue.rep for n in gone) if cue.rep is not None else 0
            if not below:
                continue
            with self.numbering:   # its judge (another thread) may be reading its number just now
                old = cue.rep
                cue.rep -= below
                if cue.message is not None:
                    cue.message = with_number(cue.message, cue.rep)
            events.append(LiveEvent("renumber", self.shown_count, now, cue.rep, rep_id, cue.rep_end_s,
                                    f"Rep {old} is now rep {cue.rep}: a rep before it was taken back.", "info"))
        return events

    def gold_of(self, exercise: str) -> tuple[PoseSequence | None, RepCount | None]:
        """The exercise's gold reference and its count (none for a hold), made once per live set: counting
        the gold again at every rep was most of a cue's coaching time."""
        if exercise not in self._golds:
            from gyml.coach import gold as gold_library
            from gyml.coach.holds import is_hold
            from gyml.reps.counter import count_reps

            gold = gold_library.find(exercise)
            self._golds[exercise] = (gold, count_reps(gold) if gold is not None and not is_hold(exercise) else None)
        return self._golds[exercise]

    def warm_up(self) -> None:
        """Load what coaching the first rep needs (the exercise model as recognition asks for it, the
        coach, the named exercise's gold) while the person gets ready, not at their first rep."""
        if not self.coach:
            return
        from gyml.classify.default import DEFAULT_MODEL, recognise
        from gyml.coach import session  # noqa: F401 - its import is part of the first cue's cost
        from gyml.synth.motion import synthesize

        if self.exercise is None and not DEFAULT_MODEL.exists():
            return
        prediction = recognise(synthesize("squat", 1, seed=0), self.exercise)
        if self.exercise is not None and prediction is not None:
            self.gold_of(prediction.label)

    def window(self) -> PoseSequence:
        return PoseSequence(np.stack(self._joints), np.stack(self._conf), self.rate, source="live")

    def _cue(self, rep: StreamRep, number: int, now: float) -> LiveEvent:
        end_s = rep.end / self.rate
        event = LiveEvent("cue", self.shown_count, now, number, rep.id, end_s, f"Rep {number}.", "info")
        standing = self._cued[rep.id] = replace(event)   # renumbered by retractions; `event` is as told
        if not self.coach:
            return event
        seq, offset = self.window(), self._ticks - len(self._joints)   # a copy: frames keep coming
        seg = rep.segment(number)

        def judge() -> LiveEvent:
            message, severity, exercise = coach_rep(self, seg, seq, offset)
            with self.numbering:   # the number as it stands now: a retraction may have lowered it meanwhile
                event.rep = standing.rep
                standing.message = event.message = f"Rep {standing.rep}: {message}"
            event.severity, event.exercise = severity, exercise
            event.exercise_text = self.exercise_text
            event.judge = None
            return event

        event.judge = judge
        return judge() if not self.defer_coaching else event


def coach_rep(coach: LiveCoach, seg: RepSegment, seq: PoseSequence, offset: int) -> tuple[str, str, str | None]:
    """One rep's cue (message, severity, exercise name) from the frames of `seq` (starting at grid frame
    `offset`); the exercise is recognised on them while the set is young, then kept."""
    from gyml.classify.default import recognise
    from gyml.classify.personal import recognise_personal
    from gyml.coach.reading import upside_down_warning
    from gyml.coach.session import coach_session
    from gyml.pose.kinematics import Kinematics

    local = replace(seg, index=1, start=max(0, seg.start - offset), mid=seg.mid - offset,
                    end=min(len(seq) - 1, seg.end - offset))
    kinematics = Kinematics(seq)
    if coach._prediction is None or (coach.exercise is None and coach._predicted_frames < RECOGNISE_UNTIL_S
                                     * coach.rate and len(seq) > coach._predicted_frames):
        # the person's own exercises first, as offline (gyml.pipeline)
        coach._prediction = recognise_personal(seq, coach.exercise, kinematics=kinematics) or \
            recognise(seq, coach.exercise, kinematics=kinematics)
        coach._predicted_frames = len(seq)
    prediction = coach._prediction
    name = None if prediction is None else prediction.name
    coach.exercise_text = shown_exercise(prediction, named=coach.exercise is not None)
    upside_down, _ = upside_down_warning(None if prediction is None else prediction.label,
                                         kinematics.raw_angles[local.start:local.end + 1])
    if upside_down:  # the cues would be about the wrong limbs (gyml.coach.reading)
        return "Counted (the body reads upside down, so no form check: film the whole body).", "warn", name
    gold, gold_reps = coach.gold_of(prediction.label) if prediction is not None else (None, None)
    try:
        feedback, _ = coach_session(seq, RepCount(1, "gyml", [local], np.zeros(len(seq))), prediction,
                                    gold=gold, strictness=coach.strictness, kinematics=kinematics,
                                    gold_reps=gold_reps)
    except GymlError:
        feedback = []
    faults = [f.message for f in feedback if f.severity == "fault" and f.rep == 1]
    if faults:
        return " ".join(_without_rep_prefix(m) for m in faults[:2]), "fault", name
    if any(f.severity == "info" and f.rep is None and "matched" in f.message for f in feedback):
        return "Good form, it matched the reference.", "info", name
    if prediction is None or prediction.label == "unknown":
        return "Counted (exercise not recognised, so no form check).", "info", name
    return f"Counted (no reference to check {prediction.name.lower()} form against).", "info", name


def shown_exercise(prediction, named: bool = False) -> str | None:
    """The exercise as live coaching shows it: named by the person, its name; recognised, with how sure
    ("Squat (92%)"), marked when it is a guess, or when it is one of the person's own."""
    from gyml.report.analysis import exercise_text

    if prediction is None:
        return None
    return prediction.name if named and prediction.label != "unknown" else exercise_text(prediction.to_dict())


def with_number(message: str, number: int) -> str:
    """A cue's message under another rep number: 'Rep 9: ...' -> 'Rep 8: ...' (other text unchanged)."""
    return re.sub(r"^Rep \d+\b", f"Rep {number}", message, count=1)


def _without_rep_prefix(message: str) -> str:
    """'Rep 1, at the bottom: your ...' -> 'at the bottom: your ...' (the live cue names the rep itself)."""
    head, sep, rest = message.partition(", ")
    text = rest if sep and head.startswith("Rep") else message
    return text[:1].upper() + text[1:]


def latest_frames(frames: Iterator, pace_fps: float | None = None) -> Iterator[tuple[float, np.ndarray, int]]:
    """(timestamp, frame, frames dropped before it) whenever the consumer asks, through a FrameBacklog.

    A reader thread keeps pulling frames (at `pace_fps` for a video played as if live; as fast as a camera
    delivers them otherwise): a consumer that keeps up sees every frame, a slow one fewer, never more than
    CATCH_UP_S old."""
    backlog = FrameBacklog()
    done = threading.Event()
    ready = threading.Condition()
    failure: list[BaseException] = []

    def read():
        started = time.monotonic()
        try:
            for i, frame in enumerate(frames):
                if done.is_set():
                    return
                if pace_fps:
                    stamp = i / pace_fps
                    time.sleep(max(0.0, started + stamp - time.monotonic()))
                else:
                    stamp = time.monotonic() - started
                with ready:
                    backlog.put(stamp, frame)
                    ready.notify()
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, raised there
            failure.append(exc)
        finally:
            with ready:
                done.set()
                ready.notify()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while True:
            with ready:
                ready.wait_for(lambda: len(backlog) or done.is_set())
                item = backlog.take()
                if item is None:
                    break
            yield item
        if failure:
            raise failure[0]
    finally:
        done.set()


def _camera_frames(index: int):
    import cv2

    # OpenCV's own warnings about a missing camera would precede our one-line error
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    cap = cv2.VideoCapture(index)
    if not cap.isOpened():
        raise GymlError(f"cannot open camera {index}")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0

    def frames():
        try:
            while True:
                ok, bgr = cap.read()
                if not ok:
                    return
                yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        finally:
            cap.release()
    return fps, frames()


def run_live(source: Path | int, output: Path | None = None,
             on_rep: Callable[[int, float], None] | None = None, serve_port: int | None = None,
             on_serve: Callable[[str], None] | None = None, on_cue: Callable[[LiveEvent], None] | None = None,
             exercise: str | None = None, realtime: bool | None = None, coach: bool = True) -> LiveCoach:
    """Count reps from a camera or a video as it plays; `on_rep(count, seconds)` hears every change of
    the count as shown (`LiveCoach.shown_count`: a rise as reps end; rarely a fall, when a cue is taken
    back) and `on_cue(event)`
    each rep's cue, each retraction of one (kind "retract") and each cue renumbered by a retraction (kind
    "renumber", its message saying which). With `serve_port` the frames are shown at http://127.0.0.1:PORT/ (`on_serve(url)`
    hears the address). A camera, and a video with `realtime` (the default with `serve_port`), run live:
    the video plays at its own speed and frames the pose model cannot keep up with are dropped; otherwise
    every frame of the video is processed as fast as the machine allows. Returns the live coach: its
    final `count`, and `hold` when the set was a hold (named, or recognised as one)."""
    if realtime is None:
        realtime = serve_port is not None
    viewer = _FrameServer(serve_port) if serve_port is not None else None   # a taken port fails first
    try:
        if isinstance(source, int):
            fps, frames = _camera_frames(source)
            rate = Fraction(fps).limit_denominator(1001)
            timed = latest_frames(frames)
        else:
            probe = probe_video(Path(source))
            fps, rate = probe.fps, probe.rate
            # an overlay keeps the input's size: decode at full size, the pose model gets a scaled copy
            frames = iter_frames(Path(source), max_side=None if output else MAX_SIDE)
            timed = latest_frames(frames, pace_fps=fps) if realtime else \
                ((i / fps, frame, 0) for i, frame in enumerate(frames))
        dropping = isinstance(source, int) or realtime
        live_coach = LiveCoach(LIVE_RATE if dropping else fps, exercise=exercise, coach=coach)
        estimator = pose_estimator()
        writer = _OverlayWriter(output, rate) if output else None
        if viewer and on_serve:
            on_serve(viewer.url)
        last_stamp = _count_frames(timed, live_coach, estimator, writer, viewer, on_rep, on_cue)
    finally:
        if viewer:
            viewer.close()
    # A camera's set ends where the person stopped, its cues as given; a video's is counted whole at its
    # end, as `gyml analyze` counts it.
    ending = live_coach.stop(last_stamp) if isinstance(source, int) else live_coach.finish()
    for event in ending:
        _announce(event, on_rep, on_cue)
    if writer:
        writer.close()
    return live_coach


def _announce(event: LiveEvent, on_rep, on_cue) -> None:
    if event.kind == "count" and on_rep:
        on_rep(event.count, event.time_s)
    elif event.kind in ("cue", "retract", "renumber") and on_cue:
        on_cue(event)


def _count_frames(timed, live_coach: LiveCoach, estimator, writer, viewer, on_rep, on_cue) -> float | None:
    """Feeds every frame to the live coach (and the overlay, the viewer); returns the last frame's time."""
    held, stamp = None, None   # a hold's seconds so far, drawn instead of the count
    with estimator, quiet_native_logs():
        for stamp, rgb, _dropped in timed:
            joints, conf = pose_of(estimator, rgb)
            for event in live_coach.add(stamp, joints, conf):
                _announce(event, on_rep, on_cue)
                held = event.held_s if event.kind == "hold" else held
            if writer or viewer:
                shown = draw_count(rgb, live_coach.shown_count, held if live_coach.hold else None)
                if writer:
                    writer.write(shown)
                if viewer:
                    viewer.publish(shown, live_coach.shown_count)
    return stamp


def pose_of(estimator, rgb: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """One RGB frame -> (24, 3) joints and (24,) confidence in gyml's skeleton, or (None, None)."""
    world, _, vis = landmarks_of(estimator.process(_for_pose(rgb)))
    if np.isnan(world).all():
        return None, None
    frame = landmarks_to_sequence(world[None], vis[None], 30.0, "live")
    return frame.joints[0], frame.confidence[0]


def draw_count(rgb: np.ndarray, count: int, held_s: float | None = None) -> np.ndarray:
    """A copy of the frame with the count (a hold: the seconds held) written in its top-left corner."""
    import cv2

    frame = np.array(rgb, order="C")   # a copy: the caller's frame stays clean
    text = f"reps: {count}" if held_s is None else f"held: {held_s:.0f} s"
    cv2.putText(frame, text, (20, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (255, 255, 255), 3)
    return frame


def _for_pose(rgb: np.ndarray) -> np.ndarray:
    """The frame the pose model sees: at most MAX_SIDE pixels on its longer side (its crops are 256 px)."""
    h, w = rgb.shape[:2]
    if max(h, w) <= MAX_SIDE:
        return rgb
    import cv2

    scale = MAX_SIDE / max(h, w)
    return cv2.resize(rgb, (max(2, round(w * scale)), max(2, round(h * scale))), interpolation=cv2.INTER_AREA)


class _OverlayWriter:
    """H.264 at the input's frame rate and the size of its first frame (the input's own size)."""

    def __init__(self, path: Path, rate: Fraction):
        self.path, self.rate = Path(path), rate
        self.writer: H264Writer | None = None

    def write(self, rgb: np.ndarray) -> None:
        if self.writer is None:
            self.writer = H264Writer(self.path, self.rate, rgb.shape[1], rgb.shape[0])
        self.writer.write(rgb)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


_PAGE = (b"<!doctype html><meta charset=utf-8><title>gyml live</title>"
         b"<body style='margin:0;background:#111'><img src='/stream' style='max-width:100%'></body>")


class _FrameServer:
    """The newest annotated frame as an MJPEG stream at /stream, a page showing it at /, the count as
    JSON at /count. Local only (127.0.0.1); each viewer gets frames as they come, none are queued."""

    def __init__(self, port: int):
        self._frame = b""
        self._count = 0
        self._seq = 0
        self._done = False
        self._changed = threading.Condition()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the CLI's output to the counts
                pass

            def do_GET(self):
                if self.path == "/":
                    self._send(200, "text/html", _PAGE)
                elif self.path == "/count":
                    self._send(200, "application/json", json.dumps({"count": server._count}).encode())
                elif self.path == "/stream":
                    self._stream()
                else:
                    self._send(404, "text/plain", b"not found")

            def _send(self, status: int, kind: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                seen = -1
                try:
                    while True:
                        with server._changed:
                            news = server._changed.wait_for(
                                lambda seen=seen: server._seq not in (seen, 0) or server._done, timeout=1.0)
                            if server._done:
                                return
                            if not news:   # no new frame yet
                                continue
                            seen, jpeg = server._seq, server._frame
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                         + str(len(jpeg)).encode() + b"\r\n\r\n" + jpeg + b"\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    return  # the viewer closed the page

        if not 0 <= port <= 65535:
            raise GymlError(f"cannot serve on port {port}: a port is 0-65535 (0: any free port)")
        try:
            self._http = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise GymlError(f"cannot serve on port {port}: {exc.strerror or exc}") from None
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def publish(self, rgb: np.ndarray, count: int) -> None:
        import cv2

        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
        if not ok:
            return
        with self._changed:
            self._frame, self._count, self._seq = jpeg.tobytes(), count, self._seq + 1
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._done = True
            self._changed.notify_all()
        self._http.shutdown()
        self._http.server_close()

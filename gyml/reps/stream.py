"""Causal rep counting for a live camera: frames go in one at a time, reps come out with bounded latency.

Every `step_s` seconds the offline counter runs on the most recent `window_s` seconds (the whole set so
far, for sets shorter than that): the set's own rhythm and rep size, which make the offline counter
reliable, need the set's history, not a few seconds of it. A run sees a rep once it has ended at least
`latency_s` before the newest frame. Each run judges the whole history again, so a rep near "now" (its
end still moving as frames arrive) or an early wobble (idling, getting into position, counted before the
set's rhythm was known) can come and go between runs: the count shown changes only on agreement. A rep
is shown once `agree_runs` runs in a row have counted it (at about the same place), and taken back once
as many runs in a row have not; so a rep is shown at most `latency_s + agree_runs * step_s` after its
end. At the end of the stream the count is the offline count of the last window. Reps in the oldest
quarter of a full window are kept as counted.

Each rep the count holds has an identity (`StreamRep.id`) that follows it from run to run while its
boundaries settle, through a brief withdrawal (counted again where it was within RECALL_S), and into the
stream's last count when that places it differently but still covers it: a live coach keys its one cue
per rep on it. The signal is oriented by the pose the set rests in: the pose the stream started in; with
`orient_by_reps` (as the live coach counts), once reps are counted, the poses where they started and
ended. A stream often starts mid-movement (a clip cut from a longer one; a person walking into view), and
a pose midway between the rep's ends orients no signal: runs then counted tops and bottoms in turn (a
pull-up set's reps moved by half a rep from run to run, and so did the live coach's cues). Not the
default: streams within the window end with the offline count either way, but on the one RepCount dev
set longer than the window it counted 21 instead of 20 (19 labelled).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

import numpy as np

from gyml.pose.kinematics import Kinematics
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import NUM_JOINTS
from gyml.reps.counter import RepSegment, count_gyml, resting_pose

RECALL_S = 1.0   # a rep withdrawn this long ago and counted again where it was is the same rep


@dataclass(frozen=True)
class StreamRep:
    """A rep as the live count holds it. `id` stays the same while later runs move the rep a little as its
    end settles (so a live coach can tell a rep it has cued from a new one); frames are absolute."""

    id: int
    start: int
    mid: int
    end: int
    confidence: float = 1.0

    def segment(self, index: int) -> RepSegment:
        return RepSegment(index, self.start, self.mid, self.end, self.confidence)


class StreamingCounter:
    def __init__(self, fps: float, window_s: float = 60.0, step_s: float = 0.5, latency_s: float = 0.5,
                 agree_runs: int = 2, orient_by_reps: bool = False):
        self.fps = fps
        self.orient_by_reps = orient_by_reps
        self.window = int(window_s * fps)
        self.step = max(1, int(step_s * fps))
        self.latency = int(latency_s * fps)
        self.agree_runs = max(1, agree_runs)
        self._joints: deque = deque(maxlen=self.window)
        self._conf: deque = deque(maxlen=self.window)
        self.frames_seen = 0
        self.runs = 0                       # counting runs so far
        self._kept: list[StreamRep] = []    # reps that left the window, as last counted
        self._recent: list[StreamRep] = []  # the reps counted in the window's last run (with their ids)
        self._shown: list[_Tally] = []  # reps of the window on show: counted, or not yet missed long enough
        self._pending: list[_Tally] = []  # reps counted by the last runs, not yet by enough of them
        self._next_id = 1
        self._gone: list[tuple[StreamRep, int]] = []   # reps withdrawn lately, with the run that withdrew them
        self._rest: np.ndarray | None = None   # the pose the stream started in (pose_features)
        self._between: dict[int, np.ndarray] = {}   # rep id -> pose_features at its start and end

    @property
    def reps(self) -> list[StreamRep]:
        """The reps of the count, in order: kept ones, then those on show."""
        return self._kept + [t.rep for t in self._shown]

    @property
    def sighted(self) -> list[StreamRep]:
        """The reps the last run counted beyond the kept ones, whether or not enough runs agree yet."""
        return list(self._recent)

    def runs_agreeing(self, rep_id: int) -> int:
        """How many runs in a row have counted the rep now (0: it is not among the last run's reps)."""
        if not any(r.id == rep_id for r in self._recent):
            return 0
        for tally in self._pending:
            if tally.rep.id == rep_id:
                return tally.runs
        return max(self.agree_runs, next((t.agreed for t in self._shown if t.rep.id == rep_id), 0))

    @property
    def withdrawn_lately(self) -> list[StreamRep]:
        """Reps withdrawn within the last RECALL_S seconds: counted again where they were, they come back
        with their identity."""
        return [r for r, _ in self._gone]

    @property
    def confirmed(self) -> list[int]:
        """Absolute frame index of each counted rep's midpoint."""
        return [r.mid for r in self.reps]

    @property
    def count(self) -> int:
        return len(self._kept) + len(self._shown)

    def update(self, joints: np.ndarray | None, confidence: np.ndarray | None = None) -> int:
        """Add one frame ((24, 3) joints, or None when nobody was seen); returns the count so far."""
        if joints is None:
            joints = np.full((NUM_JOINTS, 3), np.nan, np.float32)
            confidence = np.zeros(NUM_JOINTS, np.float32)
        elif confidence is None:
            confidence = np.ones(NUM_JOINTS, np.float32)
        self._joints.append(np.asarray(joints, np.float32))
        self._conf.append(np.asarray(confidence, np.float32))
        self.frames_seen += 1
        if self.frames_seen % self.step == 0:
            self._confirm(final=False)
        return self.count

    def finish(self, until: int | None = None, keep_shown: bool = False) -> int:
        """The stream ended: count the reps still inside the latency window too. With `until` (a stream
        frame), the set ended there: the frames after it (a hold that followed the reps) are dropped
        before the last count, which counts the set on its own frames, as an analysis does.

        With `keep_shown` (a live set the person stopped, its reps shown and cued as they came), the reps
        on show stay as they are, and the last run, counting up to the last frame with the rest pose the
        stream was counted with, adds the reps it counts that none of them covers: the last rep, whose
        return to rest was in the last frames (no run saw it end `latency_s` before "now"), and any rep
        still waiting for runs to agree on it."""
        if until is not None:
            for _ in range(min(len(self._joints), max(0, self.frames_seen - until))):
                self._joints.pop()
                self._conf.pop()
                self.frames_seen -= 1
        shown = list(self._shown)
        self._confirm(final=True, keep_shown=keep_shown)
        # the last run's count stands: no further run will agree with it or not
        if keep_shown:
            # (a rep that left the window's settled edge in that run is kept already)
            edge = self._kept[-1].mid if self._kept else -np.inf
            held = [t.rep for t in shown if t.rep.mid > edge]
            ids = {r.id for r in held}
            added = [r for r in self._recent if r.id not in ids and all(_overlap(r, h) < 0.5 for h in held)]
            self._recent = sorted(held + added, key=lambda r: r.mid)
        self._shown = [_Tally(rep, 0, self.agree_runs) for rep in self._recent]
        self._pending = []
        return self.count

    def _confirm(self, final: bool, keep_shown: bool = False) -> None:
        # while streaming, wait for a second of history; a stream that ended sooner is still counted
        if len(self._joints) < (3 if final else max(3, int(self.fps))):
            return
        offset = self.frames_seen - len(self._joints)
        # Reps near the window's old end are kept as they were counted: cut off by the window's edge,
        # the next run would no longer see them whole.
        settled = offset + self.window // 4 if len(self._joints) == self.window else offset
        leaving = [r for r in self._recent if r.mid < settled]
        self._kept += leaving
        self._recent = [r for r in self._recent if r.mid >= settled]
        if leaving:
            self._shown = [t for t in self._shown if t.rep.mid > leaving[-1].mid]
            self._pending = [t for t in self._pending if t.rep.mid > leaving[-1].mid]
        seq = PoseSequence(np.stack(self._joints), np.stack(self._conf), self.fps, source="stream")
        if not seq.present.any():
            return
        kinematics = Kinematics(seq)
        if offset == 0:
            # Remember the pose the set started in, for orienting the signal: the offline counter also
            # looks at the recording's last frames, but a stream's last frames are now, mid-rep as
            # likely as not; and a sliding window starts wherever it is (its reps would be counted half
            # a rep late).
            self._rest = resting_pose(kinematics.features, seq.present, both_ends=False)
        # at the end of a stream the window still holding all of it is counted exactly as offline (a set
        # stopped with its reps shown: as it was streamed, not to move them)
        offline = final and offset == 0 and not keep_shown
        result = count_gyml(seq, rest_pose=None if offline else self._rest_pose(),
                            kinematics=kinematics)
        self.runs += 1
        horizon = len(seq) - (0 if final else self.latency)
        gap = 0.75 * (result.period_frames or self.fps)   # the same rep seen again, its midpoint shifted
        last_kept = self._kept[-1].mid if self._kept else -np.inf
        # only reps beyond the kept ones: near the window's edge a rep already kept can be seen again,
        # cut short, with its midpoint moved
        counted = [StreamRep(0, offset + seg.start, offset + seg.mid, offset + seg.end, seg.confidence)
                   for seg in result.segments
                   if (final or seg.end <= horizon) and offset + seg.mid >= settled
                   and offset + seg.mid - last_kept > gap]
        self._recent = self._tally(counted, final)
        if not self.orient_by_reps:
            return
        counted_ids = {r.id for r in self.reps}
        self._between = {i: f for i, f in self._between.items() if i in counted_ids}
        for rep in self._recent:
            if rep.id in counted_ids and rep.start >= offset:
                self._between[rep.id] = kinematics.features[[rep.start - offset, rep.end - offset]]

    def _rest_pose(self) -> np.ndarray | None:
        """The pose the set rests in: where the reps counted so far started and ended, once there are
        any; before that, the pose the stream started in."""
        if not self.orient_by_reps or not self._between:
            return self._rest
        return np.median(np.concatenate(list(self._between.values())), axis=0)

    def _tally(self, counted: list[StreamRep], final: bool) -> list[StreamRep]:
        """Update the reps on show with one run's reps, and return those with their identities: the same
        rep seen again may have moved a little as its end settled, so a rep is matched to the nearest one
        within half a second (a rep first counted by this run gets a new identity)."""
        near = 0.5 * self.fps
        unmatched = list(counted)

        def take(rep: StreamRep) -> StreamRep | None:
            best = min(unmatched, key=lambda r: abs(r.mid - rep.mid), default=None)
            if best is None or abs(best.mid - rep.mid) > near:
                return None
            unmatched.remove(best)
            return replace(best, id=rep.id)

        shown, run, gone = [], [], []
        for tally in self._shown:
            seen = take(tally.rep)
            if seen is not None:
                shown.append(_Tally(seen, 0, tally.agreed + 1))
                run.append(seen)
            elif tally.runs + 1 < self.agree_runs:
                shown.append(_Tally(tally.rep, tally.runs + 1, 0))   # missed, but not by enough runs yet
            else:
                gone.append(tally.rep)
        pending = []
        for tally in self._pending:
            seen = take(tally.rep)
            if seen is None:
                gone.append(tally.rep)
                continue
            run.append(seen)
            if tally.runs + 1 >= self.agree_runs:
                shown.append(_Tally(seen, 0, tally.runs + 1))
            else:
                pending.append(_Tally(seen, tally.runs + 1, 0))
        # A rep missed by a few runs and then counted again where it was keeps its identity: the count
        # took it back and shows it again, but it is the same rep.
        for rep, _ in self._gone:
            seen = take(rep)
            if seen is not None:
                run.append(seen)
                if self.agree_runs == 1:
                    shown.append(_Tally(seen, 0, 1))
                else:
                    pending.append(_Tally(seen, 1, 0))
        if final:
            # The stream's last count judges it whole, as offline, and may place a rep's boundaries
            # elsewhere (the set's rest pose known from both ends): a rep of the count it still covers
            # for the most part keeps its identity.
            held = [t.rep for t in self._shown if t.rep.id not in {r.id for r in run}]
            for rep in sorted(unmatched, key=lambda r: r.mid):
                best = max(held, key=lambda h, rep=rep: _overlap(h, rep), default=None)
                if best is not None and _overlap(best, rep) >= 0.5:
                    held.remove(best)
                    unmatched.remove(rep)
                    run.append(replace(rep, id=best.id))
        for rep in unmatched:   # first counted by this run
            rep = replace(rep, id=self._next_id)
            self._next_id += 1
            run.append(rep)
            if self.agree_runs == 1:
                shown.append(_Tally(rep, 0, 1))
            else:
                pending.append(_Tally(rep, 1, 0))
        recall = max(1, round(RECALL_S * self.fps / self.step))
        back = {r.id for r in run}
        self._gone = [(r, at) for r, at in self._gone if r.id not in back and self.runs - at < recall] + \
            [(r, self.runs) for r in gone]
        if not final:
            self._shown = sorted(shown, key=lambda t: t.rep.mid)
            self._pending = pending
        return sorted(run, key=lambda r: r.mid)


def _overlap(a: StreamRep, b: StreamRep) -> float:
    """The share of the shorter rep's frames that the other one covers too."""
    shared = min(a.end, b.end) - max(a.start, b.start)
    return max(0, shared) / max(1, min(a.end - a.start, b.end - b.start))


@dataclass(frozen=True)
class _Tally:
    rep: StreamRep   # as last counted
    runs: int        # on show: runs in a row that have missed it; pending: runs in a row that counted it
    agreed: int      # on show: runs in a row that have counted it

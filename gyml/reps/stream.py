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
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from gyml.pose.kinematics import Kinematics
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import NUM_JOINTS
from gyml.reps.counter import RepSegment, count_gyml, resting_pose


class StreamingCounter:
    def __init__(self, fps: float, window_s: float = 60.0, step_s: float = 0.5, latency_s: float = 0.5,
                 agree_runs: int = 2):
        self.fps = fps
        self.window = int(window_s * fps)
        self.step = max(1, int(step_s * fps))
        self.latency = int(latency_s * fps)
        self.agree_runs = max(1, agree_runs)
        self._joints: deque = deque(maxlen=self.window)
        self._conf: deque = deque(maxlen=self.window)
        self.frames_seen = 0
        self._kept: list[int] = []      # midpoints (absolute frames) of reps that left the window
        self._recent: list[int] = []    # midpoints of the reps counted in the window's last run
        self._shown: list[_Tally] = []  # reps of the window on show: counted, or not yet missed long enough
        self._pending: list[_Tally] = []  # reps counted by the last runs, not yet by enough of them
        self._rest: np.ndarray | None = None   # the pose the stream started in (pose_features)
        # the reps the last run counted beyond the kept ones, in absolute frames: a live coach can judge
        # a rep as soon as it is first seen, before enough runs agree to show it in the count
        self.sighted: list[RepSegment] = []

    @property
    def confirmed(self) -> list[int]:
        """Absolute frame index of each counted rep's midpoint."""
        return self._kept + [t.mid for t in self._shown]

    @property
    def count(self) -> int:
        return len(self.confirmed)

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

    def finish(self) -> int:
        """The stream ended: count the reps still inside the latency window too."""
        self._confirm(final=True)
        # the last run's count stands: no further run will agree with it or not
        self._shown = [_Tally(mid, 0) for mid in self._recent]
        return self.count

    def _confirm(self, final: bool) -> None:
        # while streaming, wait for a second of history; a stream that ended sooner is still counted
        if len(self._joints) < (3 if final else max(3, int(self.fps))):
            return
        offset = self.frames_seen - len(self._joints)
        # Reps near the window's old end are kept as they were counted: cut off by the window's edge,
        # the next run would no longer see them whole.
        settled = offset + self.window // 4 if len(self._joints) == self.window else offset
        leaving = [m for m in self._recent if m < settled]
        self._kept += leaving
        self._recent = [m for m in self._recent if m >= settled]
        if leaving:
            self._shown = [t for t in self._shown if t.mid > leaving[-1]]
            self._pending = [t for t in self._pending if t.mid > leaving[-1]]
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
        # at the end of a stream the window still holding all of it is counted exactly as offline
        result = count_gyml(seq, rest_pose=None if final and offset == 0 else self._rest,
                            kinematics=kinematics)
        horizon = len(seq) - (0 if final else self.latency)
        gap = 0.75 * (result.period_frames or self.fps)   # the same rep seen again, its midpoint shifted
        last_kept = self._kept[-1] if self._kept else -np.inf
        # only reps beyond the kept ones: near the window's edge a rep already kept can be seen again,
        # cut short, with its midpoint moved
        self._recent = [offset + seg.mid for seg in result.segments
                        if (final or seg.end <= horizon) and offset + seg.mid >= settled
                        and offset + seg.mid - last_kept > gap]
        recent = set(self._recent)
        self.sighted = [RepSegment(seg.index, offset + seg.start, offset + seg.mid, offset + seg.end,
                                   seg.confidence) for seg in result.segments if offset + seg.mid in recent]
        if not final:
            self._tally(self._recent)

    def _tally(self, counted: list[int]) -> None:
        """Update the reps on show with one run's reps (midpoints): the same rep seen again may have moved
        a little as its end settled, so a rep is matched to the nearest one within half a second."""
        near = 0.5 * self.fps
        unmatched = list(counted)

        def take(mid: int) -> int | None:
            best = min(unmatched, key=lambda m: abs(m - mid), default=None)
            if best is None or abs(best - mid) > near:
                return None
            unmatched.remove(best)
            return best

        shown = []
        for tally in self._shown:
            seen = take(tally.mid)
            if seen is not None:
                shown.append(_Tally(seen, 0))
            elif tally.runs + 1 < self.agree_runs:
                shown.append(_Tally(tally.mid, tally.runs + 1))   # missed, but not by enough runs yet
        pending = []
        for tally in self._pending:
            seen = take(tally.mid)
            if seen is None:
                continue
            if tally.runs + 1 >= self.agree_runs:
                shown.append(_Tally(seen, 0))
            else:
                pending.append(_Tally(seen, tally.runs + 1))
        for mid in unmatched:   # first counted by this run
            if self.agree_runs == 1:
                shown.append(_Tally(mid, 0))
            else:
                pending.append(_Tally(mid, 1))
        self._shown = sorted(shown, key=lambda t: t.mid)
        self._pending = pending


@dataclass(frozen=True)
class _Tally:
    mid: int    # absolute frame of the rep's midpoint, as last counted
    runs: int   # on show: runs in a row that have missed it; pending: runs in a row that counted it

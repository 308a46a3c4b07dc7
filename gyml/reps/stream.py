"""Causal rep counting for a live camera: frames go in one at a time, reps come out with bounded latency.

Every `step_s` seconds the offline counter runs on the most recent `window_s` seconds (the whole set so
far, for sets shorter than that): the set's own rhythm and rep size, which make the offline counter
reliable, need the set's history, not a few seconds of it. A rep counts once it has ended at least
`latency_s` before the newest frame; the latency is therefore at most `latency_s + step_s` after its
end. Within the window a later run may withdraw a rep that the history no longer supports (an early
wobble that turned out to be getting into position), so the count is the best count so far, and at the
end of the stream it is the offline count of the last window. Reps in the oldest quarter of a full
window are kept as counted.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import NUM_JOINTS
from gyml.reps.counter import count_gyml, resting_pose
from gyml.reps.signal import pose_features


class StreamingCounter:
    def __init__(self, fps: float, window_s: float = 60.0, step_s: float = 0.5, latency_s: float = 1.0):
        self.fps = fps
        self.window = int(window_s * fps)
        self.step = max(1, int(step_s * fps))
        self.latency = int(latency_s * fps)
        self._joints: deque = deque(maxlen=self.window)
        self._conf: deque = deque(maxlen=self.window)
        self.frames_seen = 0
        self._kept: list[int] = []      # midpoints (absolute frames) of reps that left the window
        self._recent: list[int] = []    # midpoints of the reps counted in the window's last run
        self._rest: np.ndarray | None = None   # the pose the stream started in (pose_features)

    @property
    def confirmed(self) -> list[int]:
        """Absolute frame index of each counted rep's midpoint."""
        return self._kept + self._recent

    @property
    def count(self) -> int:
        return len(self._kept) + len(self._recent)

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
        return self.count

    def _confirm(self, final: bool) -> None:
        # while streaming, wait for a second of history; a stream that ended sooner is still counted
        if len(self._joints) < (3 if final else max(3, int(self.fps))):
            return
        offset = self.frames_seen - len(self._joints)
        # Reps near the window's old end are kept as they were counted: cut off by the window's edge,
        # the next run would no longer see them whole.
        settled = offset + self.window // 4 if len(self._joints) == self.window else offset
        self._kept += [m for m in self._recent if m < settled]
        self._recent = [m for m in self._recent if m >= settled]
        seq = PoseSequence(np.stack(self._joints), np.stack(self._conf), self.fps, source="stream")
        if not seq.present.any():
            return
        if offset == 0:
            # Remember the pose the set started in, for orienting the signal: the offline counter also
            # looks at the recording's last frames, but a stream's last frames are now, mid-rep as
            # likely as not; and a sliding window starts wherever it is (its reps would be counted half
            # a rep late).
            self._rest = resting_pose(pose_features(seq), seq.present, both_ends=False)
        # at the end of a stream the window still holding all of it is counted exactly as offline
        result = count_gyml(seq, rest_pose=None if final and offset == 0 else self._rest)
        horizon = len(seq) - (0 if final else self.latency)
        gap = 0.75 * (result.period_frames or self.fps)   # the same rep seen again, its midpoint shifted
        last_kept = self._kept[-1] if self._kept else -np.inf
        # only reps beyond the kept ones: near the window's edge a rep already kept can be seen again,
        # cut short, with its midpoint moved
        self._recent = [offset + seg.mid for seg in result.segments
                        if (final or seg.end <= horizon) and offset + seg.mid >= settled
                        and offset + seg.mid - last_kept > gap]

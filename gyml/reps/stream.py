"""Causal rep counting for a live camera: frames go in one at a time, reps come out with bounded latency.

The offline counter runs on a sliding window of the most recent frames every `step_s` seconds; a rep is
confirmed once its midpoint is at least `latency_s` old (the signal has had time to come back down), and
never counted twice. The latency is therefore at most `latency_s + step_s`.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import NUM_JOINTS
from gyml.reps.counter import count_gyml


class StreamingCounter:
    def __init__(self, fps: float, window_s: float = 20.0, step_s: float = 0.5, latency_s: float = 1.0):
        self.fps = fps
        self.window = int(window_s * fps)
        self.step = max(1, int(step_s * fps))
        self.latency = int(latency_s * fps)
        self._joints: deque = deque(maxlen=self.window)
        self._conf: deque = deque(maxlen=self.window)
        self.frames_seen = 0
        self.confirmed: list[int] = []  # absolute frame index of each counted rep's midpoint

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
        """The stream ended: confirm the reps still inside the latency window."""
        self._confirm(final=True)
        return self.count

    def _confirm(self, final: bool) -> None:
        if len(self._joints) < max(3, int(self.fps)):
            return
        seq = PoseSequence(np.stack(self._joints), np.stack(self._conf), self.fps, source="stream")
        if not seq.present.any():
            return
        result = count_gyml(seq)
        offset = self.frames_seen - len(seq)
        horizon = len(seq) - (0 if final else self.latency)
        gap = 0.5 * (result.period_frames or self.fps)
        for seg in result.segments:
            mid = offset + seg.mid
            if seg.end > horizon and not final:
                continue
            if not self.confirmed or mid - self.confirmed[-1] > gap:
                self.confirmed.append(mid)

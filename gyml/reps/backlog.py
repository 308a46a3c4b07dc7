"""The frames waiting for a live pose model (a camera's, a browser's, a video played live)."""

from __future__ import annotations

from collections import deque

# A pose model that stalls (another process took the CPU for a moment) catches up on the last CATCH_UP_S of
# frames, kept CATCH_UP_SPACING_S apart, instead of jumping to the newest frame: the reps done meanwhile are
# counted, and the cues wait at most that long. The 12 counted clips from 640 px camera frames, on a server
# stalling 1-3 s after 3% of frames: 50 -> 100 of 120 runs exact (benchmarks/live_frame_width.py).
CATCH_UP_S = 2.0
CATCH_UP_SPACING_S = 0.2   # 5 frames/s: the live counter's grid bridges gaps up to 0.5 s (gyml.reps.live)


class FrameBacklog:
    """Frames waiting for the pose model, oldest first: each frame while the model keeps up; after a stall,
    the last CATCH_UP_S of frames thinned to one every CATCH_UP_SPACING_S, then the newest. The owner
    locks it (it is shared between the thread that receives frames and the pose thread)."""

    def __init__(self, span_s: float = CATCH_UP_S, spacing_s: float = CATCH_UP_SPACING_S):
        self.span_s, self.spacing_s = span_s, spacing_s
        self._items: deque = deque()   # (stamp, item)
        self.dropped = 0   # frames dropped since the last `take`

    def __len__(self) -> int:
        return len(self._items)

    def put(self, stamp: float, item) -> int:
        """The newest frame; returns how many waiting frames it made this drop."""
        items, dropped = self._items, 0
        # the frame that was newest stays only if it lies far enough from the one before it
        if len(items) >= 2 and items[-1][0] - items[-2][0] < self.spacing_s:
            items.pop()
            dropped += 1
        items.append((stamp, item))
        while stamp - items[0][0] > self.span_s:
            items.popleft()
            dropped += 1
        self.dropped += dropped
        return dropped

    def take(self) -> tuple[float, object, int] | None:
        """The oldest waiting frame: (stamp, item, frames dropped since the last take), or None."""
        if not self._items:
            return None
        stamp, item = self._items.popleft()
        dropped, self.dropped = self.dropped, 0
        return stamp, item, dropped

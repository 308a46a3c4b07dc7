"""Which of a camera's frames a live pose thread processes, as the server hands them over (tests and
benchmarks/live_frame_width.py)."""

from collections.abc import Callable, Iterator

from gyml.reps.backlog import FrameBacklog


def processed_frames(n: int, sent_fps: float, busy: Callable[[int, float], float],
                     backlog: bool = True) -> Iterator[int]:
    """The frames (of n sent every 1 / sent_fps s) a pose thread processes, in order. `busy(i, t)`: how long
    the thread is taken by frame i, begun at time t (its processing, and any stall after it). The frames
    wait in a FrameBacklog, as in LiveChannel; without `backlog` the thread gets the newest frame alone
    (the server before the backlog). The last frame sent is always processed."""
    waiting, free_at, arrived = FrameBacklog(), 0.0, 0
    while True:
        while arrived < n and arrived / sent_fps <= free_at + 1e-9:
            if not backlog:
                waiting = FrameBacklog()
            waiting.put(arrived / sent_fps, arrived)
            arrived += 1
        item = waiting.take()
        if item is None:
            if arrived == n:
                return
            free_at = arrived / sent_fps
            continue
        yield item[1]
        free_at += busy(item[1], free_at)

"""Pose extraction of one long video on every core: the video is cut into spans of time, each span is
extracted in its own process, and the spans are joined back into one sequence.

MediaPipe's tracker carries state from frame to frame (the region it follows, the landmark smoothing), and
that state lives in one process. A span therefore starts decoding `overlap` seconds before the first frame
it owns: the tracker warms up on those frames, their poses are thrown away, and the owned frames come out
close to what one pass over the whole video gives (`benchmarks/batch_scale.py` measures how close).

Frames belong to spans by their timestamp, not by their position, so a seek that lands on an earlier
keyframe cannot shift or duplicate a frame: every decoded frame is owned by exactly one span.

Memory stays bounded whatever the length: frames stream through the decoder queue (a few frames at most),
and poses go straight into compact float32 arrays; nothing keeps per-frame Python objects.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gyml.errors import GymlError
from gyml.pose.readers.mediapipe_landmarks import NUM_LANDMARKS, landmarks_to_sequence
from gyml.pose.sequence import PoseSequence

OVERLAP_S = 2.0  # tracker warm-up before each span's first owned frame
MIN_SPAN_S = 20.0  # shorter spans do not pay for a process start and the warm-up frames


@dataclass(frozen=True)
class Span:
    """Frames with start <= time < stop, decoded from start - warmup on."""

    start: float
    stop: float
    warmup: float = OVERLAP_S


@dataclass
class SpanPoses:
    """MediaPipe's output for the frames a span owns, in the order decoded."""

    times: np.ndarray  # (n,) seconds
    world: np.ndarray  # (n, 33, 3) float32, NaN where nobody
    image: np.ndarray  # (n, 33, 2) float32
    visibility: np.ndarray  # (n, 33) float32
    warmup_frames: int = 0  # frames decoded and tracked before the span's start, then dropped


class LandmarkBuffer:
    """Per-frame landmarks appended into preallocated float32 arrays that double when full."""

    def __init__(self, capacity: int = 1024):
        capacity = max(16, int(capacity))
        self.times = np.empty(capacity, np.float64)
        self.world = np.empty((capacity, NUM_LANDMARKS, 3), np.float32)
        self.image = np.empty((capacity, NUM_LANDMARKS, 2), np.float32)
        self.visibility = np.empty((capacity, NUM_LANDMARKS), np.float32)
        self.size = 0

    def _grow(self) -> None:
        for name in ("times", "world", "image", "visibility"):
            old = getattr(self, name)
            new = np.empty((2 * len(old), *old.shape[1:]), old.dtype)
            new[: self.size] = old[: self.size]
            setattr(self, name, new)

    def append(self, time: float, world: np.ndarray, image: np.ndarray, visibility: np.ndarray) -> None:
        if self.size == len(self.times):
            self._grow()
        i = self.size
        self.times[i], self.world[i], self.image[i], self.visibility[i] = time, world, image, visibility
        self.size += 1

    def finish(self, warmup_frames: int = 0) -> SpanPoses:
        n = self.size
        return SpanPoses(self.times[:n].copy(), self.world[:n].copy(), self.image[:n].copy(),
                         self.visibility[:n].copy(), warmup_frames)


def plan_spans(first_time: float, frames: int, fps: float, count: int, overlap: float = OVERLAP_S) -> list[Span]:
    """`count` spans of about equal frame counts; boundaries sit half a frame before a frame's time."""
    count = max(1, min(int(count), frames))
    cuts = [first_time + (round(k * frames / count) - 0.5) / fps for k in range(1, count)]
    starts = [-math.inf, *cuts]
    stops = [*cuts, math.inf]
    return [Span(a, b, 0.0 if a == -math.inf else overlap) for a, b in zip(starts, stops)]


def spans_worth_using(duration: float, jobs: int, min_span: float = MIN_SPAN_S) -> int:
    """How many spans pay off: one per job, as long as each keeps at least `min_span` seconds."""
    return max(1, min(int(jobs), int(duration // min_span)))


def _timeline(path: Path) -> tuple[float, float, int, float]:
    """(fps, time of the first frame, frame count, duration in seconds) from the container's header."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise GymlError(f"{path.name}: the file has no video stream")
            stream = container.streams.video[0]
            rate = float(stream.average_rate or stream.guessed_rate or 30)
            tb = stream.time_base
            first = float(stream.start_time * tb) if stream.start_time is not None and tb else 0.0
            if stream.duration is not None and tb:
                duration = float(stream.duration * tb)
            elif container.duration:
                duration = container.duration / 1e6
            else:
                duration = (stream.frames or 0) / rate
            frames = stream.frames or int(round(duration * rate))
            return rate, first, frames, duration
    except (av.error.FFmpegError, OSError) as exc:
        raise GymlError(f"{path.name}: not a readable video ({exc})") from None


def iter_timed_frames(path: Path, start: float = -math.inf, stop: float = math.inf,
                      max_side: int | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """(time, RGB frame) for the frames with start <= time < stop, seeking to the keyframe before `start`."""
    import av

    from gyml.pose.readers.video import MAX_SIDE

    max_side = max_side or MAX_SIDE
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise GymlError(f"{path.name}: not a readable video ({exc})") from None
    with container:
        if not container.streams.video:
            raise GymlError(f"{path.name}: the file has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        w, h = stream.codec_context.width, stream.codec_context.height
        scale = min(1.0, max_side / max(w, h, 1))
        size = (max(2, int(round(w * scale / 2)) * 2), max(2, int(round(h * scale / 2)) * 2))
        rate = float(stream.average_rate or stream.guessed_rate or 30)
        if math.isfinite(start) and stream.time_base:
            container.seek(max(0, int(start / stream.time_base)), stream=stream, backward=True, any_frame=False)
        index = 0
        try:
            for frame in container.decode(stream):
                t = float(frame.time) if frame.time is not None else index / rate
                index += 1
                if t < start:
                    continue  # decoded from the keyframe on, but before the span: no pose needed
                if t >= stop:
                    return
                yield t, frame.to_ndarray(format="rgb24", width=size[0], height=size[1])
        except av.error.FFmpegError:
            return  # a truncated file ends early; the frames decoded so far are real observations


_progress_counter = None  # per worker process: frames done, shared with the parent


def _init_worker(counter) -> None:
    global _progress_counter
    _progress_counter = counter


def extract_span(path: str | Path, span: Span, progress: Callable[[int], None] | None = None) -> SpanPoses:
    """Track the person from `span.start - span.warmup` on and keep the poses of the frames the span owns."""
    from gyml.pose.readers.video import _pose_estimator, _prefetch, landmarks_of, quiet_native_logs

    path = Path(path)
    buffer = LandmarkBuffer()
    warmup = 0
    estimator = _pose_estimator()
    with estimator, quiet_native_logs(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t, rgb in _prefetch(iter_timed_frames(path, span.start - span.warmup, span.stop)):
            world, image, vis = landmarks_of(estimator.process(rgb))
            if t < span.start:
                warmup += 1
                continue
            buffer.append(t, world, image, vis)
            if progress is not None:
                progress(1)
            elif _progress_counter is not None:
                with _progress_counter.get_lock():
                    _progress_counter.value += 1
    return buffer.finish(warmup)


def join_spans(parts: list[SpanPoses]) -> SpanPoses:
    """Concatenate spans in time order (each frame is owned by one span, so nothing overlaps)."""
    parts = sorted((p for p in parts if len(p.times)), key=lambda p: p.times[0])
    if not parts:
        return LandmarkBuffer(16).finish()
    return SpanPoses(np.concatenate([p.times for p in parts]), np.concatenate([p.world for p in parts]),
                     np.concatenate([p.image for p in parts]), np.concatenate([p.visibility for p in parts]),
                     sum(p.warmup_frames for p in parts))


def poses_to_sequence(path: Path, poses: SpanPoses, fps: float) -> PoseSequence:
    from gyml.pose.readers.video import video_info

    if not len(poses.times):
        raise GymlError(f"{path.name}: the video has no decodable frames (empty or truncated)")
    _, _, width, height = video_info(path)
    return landmarks_to_sequence(poses.world, poses.visibility, fps, "video", image_landmarks=poses.image,
                                 metadata={"file": path.name, "width": width, "height": height})


def read_video_chunked(path: str | Path, jobs: int, progress: Callable[[int, int | None], None] | None = None,
                       overlap: float = OVERLAP_S, spans: int | None = None) -> PoseSequence:
    """Extract `spans` (default: `jobs`) overlapping spans in `jobs` processes and join them."""
    path = Path(path)
    fps, first, frames, _ = _timeline(path)
    plan = plan_spans(first, frames, fps, spans or jobs, overlap)
    context = multiprocessing.get_context("spawn")  # MediaPipe's native threads do not survive a fork
    counter = context.Value("q", 0)
    with ProcessPoolExecutor(max_workers=min(jobs, len(plan)), mp_context=context,
                             initializer=_init_worker, initargs=(counter,)) as pool:
        pending = {pool.submit(extract_span, str(path), span) for span in plan}
        parts = []
        while pending:
            finished, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            parts.extend(f.result() for f in finished)
            if progress is not None:
                progress(counter.value, frames or None)
    return poses_to_sequence(path, join_spans(parts), fps)


def default_jobs() -> int:
    """Every core this process may use; one inside a daemonic process (a Dask or pool worker), which
    cannot start processes of its own."""
    if multiprocessing.current_process().daemon:
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def read_video_parallel(path: str | Path, jobs: int | None = None,
                        progress: Callable[[int, int | None], None] | None = None) -> PoseSequence:
    """One pass for short videos or one job; overlapping spans in parallel processes when it pays off."""
    from gyml.pose.readers import video

    path = Path(path)
    jobs = default_jobs() if not jobs or jobs < 1 else jobs
    if multiprocessing.current_process().daemon:
        jobs = 1
    if jobs > 1:
        _, _, _, duration = _timeline(path)
        count = spans_worth_using(duration, jobs)
        if count > 1:
            return read_video_chunked(path, jobs, progress, spans=count)
    return video.read_video(path, progress=progress)

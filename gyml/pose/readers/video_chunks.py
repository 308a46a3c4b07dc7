"""Pose extraction of one long video on every core: the video is cut into spans of time, the first span is
extracted by the calling process and each other one in a process of its own, all at once, and the spans
are joined back into one sequence.

MediaPipe's tracker carries state from frame to frame (the region it follows, the landmark smoothing), and
that state lives in one process. A span therefore starts decoding `overlap` seconds before the first frame
it owns: the tracker warms up on those frames, their poses are thrown away, and the owned frames come out
close to what one pass over the whole video gives (`benchmarks/batch_scale.py` measures how close). Later
spans own fewer frames than the first, so that every process does the same work, warm-up and process
start included. Each tracker reports what it cost its process (`ProcessCost`: processor time by phase and
by thread group), which says where the time goes whatever else the machine runs.

When the warmed-up tracker still disagrees with the one before it (it locked onto another body region or
person after its cold start), the earlier span's process keeps tracking into the span until the two agree
(a handover), so a span never follows something one pass would not have followed.

Span processes are kept for the next video (`SpanWorkers`): a process's start, its imports and MediaPipe's
import (0.5 s of processor time) are paid once per process, not once per video and span, when a batch worker or a caller extracts one long video after another.

Frames belong to spans by their timestamp, not by their position, so a seek that lands on an earlier
keyframe cannot shift or duplicate a frame: every decoded frame is owned by exactly one span.

Memory stays bounded whatever the length: frames stream through the decoder queue (a few frames at most),
and poses go straight into compact float32 arrays; nothing keeps per-frame Python objects.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import multiprocessing
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gyml.errors import GymlError
from gyml.pose.readers.cpu_usage import ThreadMeter, ThreadUsage, process_seconds
from gyml.pose.readers.mediapipe_landmarks import NUM_LANDMARKS, landmarks_to_sequence
from gyml.pose.sequence import PoseSequence

# Tracker warm-up before each span's first owned frame. 1 s costs half the model's work of 2 s and, on the
# 4 long shared videos other than the benchmark's (12 cuts, benchmarks/span_warmup.py), needed no more
# re-tracking in series (127 frames against 167): 2 s did not make a cold tracker agree more reliably.
OVERLAP_S = 1.0
# Two MediaPipe trackers on the same frames never agree to the bit: the crop each takes comes from its own
# history, and a few pixels of crop move the landmarks by millimetres to centimetres. They agree when every
# landmark is within JOIN_TOLERANCE_M for JOIN_RUN frames in a row; a tracker that locked onto something
# else (tens of centimetres off) does not. Measured in benchmarks/batch_scale.py and docs/lab-notes/batch.md.
JOIN_TOLERANCE_M = 0.02
JOIN_RUN = 5
# Starting a span process costs processor time worth this many frames of the pose model's work (37 ms a
# frame; benchmarks/batch_scale.py): the interpreter and imports (0.2 s), then MediaPipe's import and graph
# (0.3 s without pyplot: video.import_mediapipe), which the calling process pays as well unless it has
# MediaPipe loaded already. Later spans own that many frames fewer, so that every process finishes together.
PROCESS_START_FRAMES = 5
MEDIAPIPE_START_FRAMES = 9
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
        capacity = min(max(16, int(capacity)), 1 << 16)  # a header may overstate the frame count
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
        n = self.size  # views, not copies: an hour of poses is not held twice
        return SpanPoses(self.times[:n], self.world[:n], self.image[:n], self.visibility[:n], warmup_frames)


def span_start_frames(ready: bool = False) -> int:
    """What a span process's start costs more than the calling process's, in frames of the model's work.
    `ready`: a kept span process takes the span (its start and MediaPipe's import are paid already)."""
    caller = 0 if "mediapipe" in sys.modules else MEDIAPIPE_START_FRAMES
    child = 0 if ready else PROCESS_START_FRAMES + MEDIAPIPE_START_FRAMES
    return child - caller


def plan_spans(first_time: float, frames: int, fps: float, count: int, overlap: float = OVERLAP_S,
               start_up_frames: float = PROCESS_START_FRAMES) -> list[Span]:
    """`count` spans that cost each process the same work: a later span also tracks `overlap` seconds of
    warm-up and pays for starting its process, so it owns that many frames fewer than the first (which the
    calling process tracks). Boundaries sit half a frame before a frame."""
    count = max(1, min(int(count), frames))
    extra = overlap * fps + start_up_frames
    while count > 1 and (frames + (count - 1) * extra) / count - extra < 1:
        count -= 1  # too short to split this many ways
    first_share = (frames + (count - 1) * extra) / count
    cuts = [first_time + (round(first_share + k * (first_share - extra)) - 0.5) / fps for k in range(count - 1)]
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
        from gyml.pose.readers.video import unreadable_video
        raise unreadable_video(path, exc) from None


def iter_timed_frames(path: Path, start: float = -math.inf, stop: float = math.inf,
                      max_side: int | None = None, decoder_threads: int = 0) -> Iterator[tuple[float, np.ndarray]]:
    """(time, RGB frame) for the frames with start <= time < stop, seeking to the keyframe before `start`.
    `decoder_threads`: FFmpeg's decoding threads (0: as many as FFmpeg likes)."""
    import av

    from gyml.pose.readers.video import MAX_SIDE, RgbConverter

    max_side = max_side or MAX_SIDE
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        from gyml.pose.readers.video import unreadable_video
        raise unreadable_video(path, exc) from None
    with container:
        if not container.streams.video:
            raise GymlError(f"{path.name}: the file has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if decoder_threads:
            stream.thread_count = decoder_threads
        w, h = stream.codec_context.width, stream.codec_context.height
        scale = min(1.0, max_side / max(w, h, 1))
        size = (max(2, int(round(w * scale / 2)) * 2), max(2, int(round(h * scale / 2)) * 2))
        rate = float(stream.average_rate or stream.guessed_rate or 30)
        to_rgb = RgbConverter(*size)
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
                yield t, to_rgb(frame)
        except av.error.FFmpegError:
            return  # a truncated file ends early; the frames decoded so far are real observations


def _frames_agree(a: np.ndarray, b: np.ndarray, tolerance: float) -> np.ndarray:
    """Per frame: both found nobody, or every landmark of both is within `tolerance` metres."""
    nobody_a, nobody_b = ~np.isfinite(a).all(axis=(1, 2)), ~np.isfinite(b).all(axis=(1, 2))
    with np.errstate(invalid="ignore"):
        close = np.nan_to_num(np.abs(a - b), nan=np.inf).max(axis=(1, 2)) <= tolerance
    return (nobody_a & nobody_b) | (~nobody_a & ~nobody_b & close)


def converged_from(reference: np.ndarray, tracked: np.ndarray, tolerance: float, run: int) -> int | None:
    """First frame of the first `run` consecutive frames on which two trackers agree, else None."""
    agree = _frames_agree(reference, tracked, tolerance)
    streak = 0
    for i, ok in enumerate(agree):
        streak = streak + 1 if ok else 0
        if streak >= run:
            return i - run + 1
    return None


@dataclass
class ProcessCost:
    """Processor time (user + system) one span's tracker cost its process, by phase and by thread group.
    Unlike wall time it does not depend on what else the machine runs."""

    span: int
    in_caller: bool  # tracked by the calling process, which needs no process start of its own
    phases: dict[str, float]  # process start, model set-up, warm-up, owned, handover: seconds
    frames: dict[str, int]  # warm-up, owned, handover
    threads: ThreadUsage | None = None  # by thread group, from the tracker's creation on

    @property
    def total(self) -> float:
        return sum(self.phases.values())


class SpanTracker:
    """One span's MediaPipe tracker: tracks the warm-up and the owned frames, then on request keeps
    tracking past the span's end until it agrees with the next span's poses (a handover)."""

    def __init__(self, path: Path, span: Span, index: int, counter=None, in_caller: bool = False,
                 decoder_threads: int = 1, process_start: float | None = None):
        """`process_start`: processor time to book as the process's start (default: all this process has
        used so far, none in the calling process); a kept span process books it with its first span only."""
        from gyml.pose.readers.video import landmarks_of, pose_estimator, prefetch_frames

        self.span, self.counter = span, counter
        started = process_seconds()
        if process_start is None:
            process_start = 0.0 if in_caller else started
        self._meter = ThreadMeter()
        self.cost = ProcessCost(index, in_caller, {"process start": process_start},
                                {"warm-up": 0, "owned": 0, "handover": 0})
        self._mark = started
        self._stack = contextlib.ExitStack()
        try:
            # The decoder seeks and decodes up to the warm-up while MediaPipe sets up its graph.
            # Each span process has a core to itself: FFmpeg's extra frame threads would only compete with
            # the model, and one thread decodes and converts a frame in a tenth of the model's time.
            self._frames = prefetch_frames(iter_timed_frames(path, span.start - span.warmup,
                                                       decoder_threads=decoder_threads))
            self._stack.callback(self._frames.close)
            self._estimator = self._stack.enter_context(pose_estimator())
        except BaseException:
            self._stack.close()
            raise
        self._landmarks_of = landmarks_of
        self._pending = None
        self._phase("model set-up")

    @contextlib.contextmanager
    def _quiet(self):
        from gyml.pose.readers.video import quiet_native_logs

        with quiet_native_logs(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield

    def _phase(self, name: str) -> None:
        now = process_seconds()
        self.cost.phases[name] = self.cost.phases.get(name, 0.0) + now - self._mark
        self._mark = now
        self.cost.threads = self._meter.usage()

    def _next(self):
        if self._pending is not None:
            item, self._pending = self._pending, None
            return item
        item = next(self._frames, None)
        if item is None:
            return None
        t, rgb = item
        return t, self._landmarks_of(self._estimator.process(rgb))

    def track(self) -> tuple[SpanPoses, SpanPoses]:
        """(poses of the owned frames, poses of the warm-up frames before them)."""
        lead, owned = LandmarkBuffer(64), LandmarkBuffer()
        with self._quiet():
            while (item := self._next()) is not None:
                t, poses = item
                if t >= self.span.stop:
                    self._pending = item
                    break
                if t < self.span.start:
                    lead.append(t, *poses)
                    continue
                if owned.size == 0:
                    self._phase("warm-up")
                owned.append(t, *poses)
                if owned.size % 8 == 0:
                    self._meter.sample()  # the decoding thread ends with the video, before the last phase ends
                if self.counter is not None:
                    with self.counter.get_lock():
                        self.counter.value += 1
        if owned.size == 0:
            self._phase("warm-up")
        self._phase("owned")
        self.cost.frames.update({"warm-up": lead.size, "owned": owned.size})
        return owned.finish(lead.size), lead.finish()

    def handover(self, reference: SpanPoses, tolerance: float, run: int) -> SpanPoses:
        """Track the next span's frames with this tracker until the two agree for `run` frames in a row."""
        handover = LandmarkBuffer(64)
        streak = 0
        with self._quiet():
            for i in range(len(reference.times)):
                item = self._next()
                if item is None:
                    break
                t, poses = item
                handover.append(t, *poses)
                same = _frames_agree(reference.world[i: i + 1], poses[0][None].astype(np.float32), tolerance)
                streak = streak + 1 if same[0] else 0
                if streak >= run:
                    break
        self._phase("handover")
        self.cost.frames["handover"] += handover.size
        return handover.finish()

    def close(self) -> None:
        with self._quiet():
            self._stack.close()
        self._meter.close()


def _span_worker(conn, counter) -> None:
    """A kept span process: tracks one span after another, video after video. Per span it tracks the
    warm-up and the owned frames, sends their poses, then on request keeps tracking past the span's end
    until this tracker agrees with the next span's for `run` frames (a handover), until told the span is done.

    Messages in: ("span", path, span, index, tolerance, run), ("handover", reference), ("done",); None quits.
    Out: ("span", owned, lead, cost), ("handover", poses, cost) or ("error", text)."""
    # Ctrl-C reaches the whole process group: the caller stops its span processes itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(Exception), warnings.catch_warnings():
        from gyml.pose.readers.video import import_mediapipe, quiet_native_logs

        warnings.simplefilter("ignore")
        with quiet_native_logs():
            import_mediapipe()  # once, before the first span
    first = True
    try:
        while (job := conn.recv()) is not None:
            if job[0] != "span":
                continue  # what is left of a span that failed
            _, path, span, index, tolerance, run = job
            tracker = None
            try:
                tracker = SpanTracker(Path(path), span, index, counter,
                                      process_start=process_seconds() if first else 0.0)
                first = False
                owned, lead = tracker.track()
                conn.send(("span", owned, lead, tracker.cost))
                while (request := conn.recv()) is not None and request[0] == "handover":
                    conn.send(("handover", tracker.handover(request[1], tolerance, run), tracker.cost))
                if request is None:
                    return
            except (EOFError, OSError):
                return  # the caller is gone
            except Exception as exc:  # noqa: BLE001 - reported to the caller, which raises it
                with contextlib.suppress(OSError):
                    conn.send(("error", f"{type(exc).__name__}: {exc}"))
            finally:
                if tracker is not None:
                    with contextlib.suppress(Exception):
                        tracker.close()
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


class SpanWorker:
    """One kept span process and the pipe to it; `counter` counts the frames it has tracked."""

    def __init__(self, context):
        self.counter = context.Value("q", 0)
        self.link, child_end = context.Pipe()
        self.process = context.Process(target=_span_worker, args=(child_end, self.counter), daemon=True)
        self.process.start()
        child_end.close()

    def stop(self, at_once: bool = False) -> None:
        """Let the process end (`at_once`: end it now, in the middle of a span)."""
        if at_once:
            self.process.kill()
        with contextlib.suppress(OSError, ValueError):
            self.link.send(None)
        with contextlib.suppress(OSError):
            self.link.close()
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class SpanWorkers:
    """Span processes kept between videos. Starting one costs 0.5 s of processor time (the interpreter,
    imports, MediaPipe's import); kept, a batch worker or a caller extracting one long video
    after another pays that once per process. A process that failed or died is not kept. Idle processes
    hold MediaPipe's memory (~150 MB each): `close()` lets them go; they end with this process anyway."""

    def __init__(self):
        self._idle: list[SpanWorker] = []
        self._lock = threading.Lock()

    def ready(self) -> int:
        with self._lock:
            return sum(worker.process.is_alive() for worker in self._idle)

    def take(self, context) -> SpanWorker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                worker.stop()
        return SpanWorker(context)

    def keep(self, worker: SpanWorker) -> None:
        if not worker.process.is_alive():
            worker.stop()
            return
        with self._lock:
            self._idle.append(worker)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()


SPAN_WORKERS = SpanWorkers()
atexit.register(SPAN_WORKERS.close)


def close_span_workers() -> None:
    """End the span processes kept for the next video (they hold MediaPipe's memory while idle)."""
    SPAN_WORKERS.close()


@dataclass
class JoinReport:
    """How the spans were joined: per boundary, the frames the earlier span's tracker re-tracked; and
    what each span's tracker cost its process."""

    boundaries: list[float]
    handover_frames: list[int]
    warmup_frames: int
    costs: list[ProcessCost]


def _receive(conn):
    try:
        message = conn.recv()
    except EOFError:
        raise GymlError("a video extraction process died (out of memory?)") from None
    if message[0] == "error":
        raise GymlError(f"video extraction failed: {message[1]}")
    return message[1:]


class _SpanHere:
    """A span tracked by the calling process (the first span: its start-up is the one pass's too)."""

    def __init__(self, path: Path, span: Span, counter):
        self.path, self.span, self.counter = path, span, counter
        self.tracker: SpanTracker | None = None

    def result(self) -> tuple[SpanPoses, SpanPoses]:
        self.tracker = SpanTracker(self.path, self.span, 0, self.counter, in_caller=True)
        return self.tracker.track()

    def handover(self, reference: SpanPoses, tolerance: float, run: int) -> SpanPoses:
        return self.tracker.handover(reference, tolerance, run)

    @property
    def cost(self) -> ProcessCost | None:
        return self.tracker.cost if self.tracker is not None else None

    def close(self) -> None:
        if self.tracker is not None:
            self.tracker.close()


class _SpanInWorker:
    """A span tracked by a kept span process (started now if none is idle), at once, so that its start-up
    overlaps the others'."""

    def __init__(self, workers: SpanWorkers, context, path: Path, span: Span, index: int, tolerance: float,
                 run: int):
        self.workers = workers
        self.worker = workers.take(context)
        self.base = self.worker.counter.value
        self.cost: ProcessCost | None = None
        self.failed = False
        self._send(("span", str(path), span, index, tolerance, run))

    @property
    def frames_done(self) -> int:
        return self.worker.counter.value - self.base

    def _send(self, message) -> None:
        try:
            self.worker.link.send(message)
        except OSError:
            self.failed = True
            raise GymlError("a video extraction process died (out of memory?)") from None

    def _receive(self):
        try:
            return _receive(self.worker.link)
        except BaseException:
            self.failed = True
            raise

    def result(self) -> tuple[SpanPoses, SpanPoses]:
        owned, lead, self.cost = self._receive()
        return owned, lead

    def handover(self, reference: SpanPoses, tolerance: float, run: int) -> SpanPoses:
        self._send(("handover", reference))
        poses, self.cost = self._receive()
        return poses

    def close(self) -> None:
        if not self.failed and self.cost is not None:
            try:
                self.worker.link.send(("done",))
            except OSError:
                self.failed = True
        if self.failed or self.cost is None:
            self.worker.stop(at_once=True)  # an unfinished or broken span: its process is not reused
        else:
            self.workers.keep(self.worker)


def _lead_agrees(accepted: list[SpanPoses], lead: SpanPoses, tolerance: float, run: int) -> bool:
    """Does a span's warm-up end in agreement with the accepted poses of the same frames?"""
    times = np.concatenate([p.times for p in accepted])
    world = np.concatenate([p.world for p in accepted])
    common, in_lead, in_accepted = np.intersect1d(lead.times, times, return_indices=True)
    if len(common) < run:
        return False
    return converged_from(world[in_accepted][-run:], lead.world[in_lead][-run:], tolerance, run) == 0


def extract_spans_joined(path: Path, plan: list[Span], counter=None, tolerance: float = JOIN_TOLERANCE_M,
                         run: int = JOIN_RUN, workers: SpanWorkers | None = None,
                         children: list | None = None) -> tuple[SpanPoses, JoinReport]:
    """Extract every span at once (the first in this process, each other one in a kept span process of
    its own, from `workers`), then join them. `counter` counts this process's frames; `children` (when
    given) receives the other spans' trackers as they start (their `frames_done` tells progress).

    A span's own poses are used from its start when its tracker, warmed up on the frames before its start,
    ends the warm-up in agreement with the poses of those frames (every landmark within `tolerance` metres
    for `run` frames). When it does not (it picked the person up differently after its cold start), the
    tracker of the frames before keeps going into the span until the two agree, and its poses replace the
    span's: the joined result is then what one pass gives, at the cost of that stretch run in series.
    """
    context = multiprocessing.get_context("spawn")  # MediaPipe's native threads do not survive a fork
    workers = workers if workers is not None else SPAN_WORKERS
    trackers: list = []
    try:
        for j, span in enumerate(plan[1:], start=1):
            trackers.append(_SpanInWorker(workers, context, path, span, j, tolerance, run))
            if children is not None:
                children.append(trackers[-1])
        trackers.insert(0, _SpanHere(path, plan[0], counter))
        spans = [tracker.result() for tracker in trackers]
        accepted = [spans[0][0]]
        handovers = []
        current = 0  # the span whose tracker produced the last accepted frames
        for j in range(1, len(plan)):
            owned, lead = spans[j]
            if _lead_agrees(accepted, lead, tolerance, run):
                accepted.append(owned)
                current = j
                handovers.append(0)
                continue
            handover = trackers[current].handover(owned, tolerance, run)
            n = len(handover.times)
            handovers.append(n)
            accepted.append(handover)
            if n < len(owned.times):  # the trackers agreed: the span's own poses from here on
                accepted.append(SpanPoses(owned.times[n:], owned.world[n:], owned.image[n:],
                                          owned.visibility[n:]))
                current = j
        joined = join_spans(accepted)
        joined.warmup_frames = sum(len(lead.times) for _, lead in spans)
    finally:
        for tracker in trackers:
            tracker.close()
    return joined, JoinReport([s.start for s in plan[1:]], handovers, joined.warmup_frames,
                              [t.cost for t in trackers])


def join_spans(parts: list[SpanPoses]) -> SpanPoses:
    """Concatenate spans in time order (each frame is owned by one span, so nothing overlaps)."""
    parts = sorted((p for p in parts if len(p.times)), key=lambda p: p.times[0])
    if not parts:
        return LandmarkBuffer(16).finish()
    return SpanPoses(np.concatenate([p.times for p in parts]), np.concatenate([p.world for p in parts]),
                     np.concatenate([p.image for p in parts]), np.concatenate([p.visibility for p in parts]),
                     sum(p.warmup_frames for p in parts))


def poses_to_sequence(path: Path, poses: SpanPoses, fps: float) -> PoseSequence:
    from dataclasses import replace

    from gyml.pose.readers import video
    from gyml.pose.readers.video import probe_video

    if not len(poses.times):
        raise GymlError(f"{path.name}: the video has no decodable frames (empty or truncated)")
    probe = probe_video(path)
    seq = landmarks_to_sequence(poses.world, poses.visibility, fps, "video", image_landmarks=poses.image,
                                metadata={"file": path.name, "width": probe.width, "height": probe.height,
                                          "rotation": probe.rotation})
    # Times from the first frame on, as the one-pass reader gives them.
    return replace(seq, times=video.display_times(poses.times))


def read_video_chunked(path: str | Path, jobs: int, progress: Callable[[int, int | None], None] | None = None,
                       overlap: float = OVERLAP_S, report: list | None = None,
                       workers: SpanWorkers | None = None) -> PoseSequence:
    """Extract `jobs` overlapping spans in `jobs` processes and join them (see `extract_spans_joined`).
    The span processes are kept in `workers` (default: this process's `SPAN_WORKERS`) for the next video."""
    path = Path(path)
    workers = workers if workers is not None else SPAN_WORKERS
    fps, first, frames, _ = _timeline(path)
    ready = workers.ready() >= jobs - 1
    plan = plan_spans(first, frames, fps, jobs, overlap, span_start_frames(ready))
    counter = multiprocessing.get_context("spawn").Value("q", 0)
    children: list = []
    finished = threading.Event()

    def report_progress():
        while not finished.wait(0.25):
            progress(counter.value + sum(child.frames_done for child in list(children)), frames or None)

    ticker = threading.Thread(target=report_progress, daemon=True) if progress is not None else None
    if ticker is not None:
        ticker.start()
    try:
        poses, join = extract_spans_joined(path, plan, counter, workers=workers, children=children)
    finally:
        finished.set()
        if ticker is not None:
            ticker.join()
    if report is not None:
        report.append(join)
    return poses_to_sequence(path, poses, fps)


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
    if jobs > 1 and video.probe_video(path).rotation == 0:  # spans decode stored frames, not turned ones
        _, _, _, duration = _timeline(path)
        count = spans_worth_using(duration, jobs)
        if count > 1:
            return read_video_chunked(path, count, progress)
    return video.read_video(path, progress=progress)

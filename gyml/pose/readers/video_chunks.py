"""Pose extraction of one long video on every core: the video is cut into spans of time, each span is
extracted in its own process, and the spans are joined back into one sequence.

MediaPipe's tracker carries state from frame to frame (the region it follows, the landmark smoothing), and
that state lives in one process. A span therefore starts decoding `overlap` seconds before the first frame
it owns: the tracker warms up on those frames, their poses are thrown away, and the owned frames come out
close to what one pass over the whole video gives (`benchmarks/batch_scale.py` measures how close). Later
spans own fewer frames than the first, so that every process does the same work, warm-up included.

When the warmed-up tracker still disagrees with the one before it (it locked onto another body region or
person after its cold start), the earlier span's process keeps tracking into the span until the two agree
(a handover), so a span never follows something one pass would not have followed.

Frames belong to spans by their timestamp, not by their position, so a seek that lands on an earlier
keyframe cannot shift or duplicate a frame: every decoded frame is owned by exactly one span.

Memory stays bounded whatever the length: frames stream through the decoder queue (a few frames at most),
and poses go straight into compact float32 arrays; nothing keeps per-frame Python objects.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gyml.errors import GymlError
from gyml.pose.readers.mediapipe_landmarks import NUM_LANDMARKS, landmarks_to_sequence
from gyml.pose.sequence import PoseSequence

OVERLAP_S = 2.0  # tracker warm-up before each span's first owned frame
# Two MediaPipe trackers on the same frames never agree to the bit: the crop each takes comes from its own
# history, and a few pixels of crop move the landmarks by millimetres to centimetres. They agree when every
# landmark is within JOIN_TOLERANCE_M for JOIN_RUN frames in a row; a tracker that locked onto something
# else (tens of centimetres off) does not. Measured in benchmarks/batch_scale.py and docs/lab-notes/batch.md.
JOIN_TOLERANCE_M = 0.02
JOIN_RUN = 5
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


def plan_spans(first_time: float, frames: int, fps: float, count: int, overlap: float = OVERLAP_S) -> list[Span]:
    """`count` spans that cost each process the same work: a later span also tracks `overlap` seconds of
    warm-up, so it owns that many frames fewer than the first. Boundaries sit half a frame before a frame."""
    count = max(1, min(int(count), frames))
    warm = overlap * fps
    while count > 1 and (frames + (count - 1) * warm) / count - warm < 1:
        count -= 1  # too short to split this many ways
    first_share = (frames + (count - 1) * warm) / count
    cuts = [first_time + (round(first_share + k * (first_share - warm)) - 0.5) / fps for k in range(count - 1)]
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


def _track(estimator, frames, landmarks_of):
    for t, rgb in frames:
        yield t, landmarks_of(estimator.process(rgb))


def _span_process(conn, path: str, span: Span, counter, tolerance: float, run: int) -> None:
    """One span in its own process: track it (warm-up first), send the poses, then on request keep tracking
    past the span's end until this tracker agrees with the next span's for `run` frames (a handover)."""
    from gyml.pose.readers.video import _pose_estimator, _prefetch, landmarks_of, quiet_native_logs

    try:
        estimator = _pose_estimator()
        with estimator, quiet_native_logs(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tracked = _track(estimator, _prefetch(iter_timed_frames(Path(path), span.start - span.warmup)),
                             landmarks_of)
            lead, owned = LandmarkBuffer(64), LandmarkBuffer()
            pending = None
            for t, poses in tracked:
                if t >= span.stop:
                    pending = (t, poses)
                    break
                (lead if t < span.start else owned).append(t, *poses)
                if t >= span.start:
                    with counter.get_lock():
                        counter.value += 1
            conn.send(("span", owned.finish(lead.size), lead.finish()))
            while (reference := conn.recv()) is not None:
                # The next span's poses: track its frames with this tracker until the two agree.
                handover = LandmarkBuffer(64)
                streak = 0
                for i in range(len(reference.times)):
                    if pending is None:
                        pending = next(tracked, None)
                        if pending is None:
                            break
                    t, poses = pending
                    pending = None
                    handover.append(t, *poses)
                    same = _frames_agree(reference.world[i: i + 1], poses[0][None].astype(np.float32), tolerance)
                    streak = streak + 1 if same[0] else 0
                    if streak >= run:
                        break
                conn.send(("handover", handover.finish()))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


@dataclass
class JoinReport:
    """How the spans were joined: per boundary, the frames the earlier span's tracker re-tracked."""

    boundaries: list[float]
    handover_frames: list[int]
    warmup_frames: int


def _receive(conn, what: str):
    try:
        message = conn.recv()
    except EOFError:
        raise GymlError("a video extraction process died (out of memory?)") from None
    if message[0] == "error":
        raise GymlError(f"video extraction failed: {message[1]}")
    return message[1:]


def _lead_agrees(accepted: list[SpanPoses], lead: SpanPoses, tolerance: float, run: int) -> bool:
    """Does a span's warm-up end in agreement with the accepted poses of the same frames?"""
    times = np.concatenate([p.times for p in accepted])
    world = np.concatenate([p.world for p in accepted])
    common, in_lead, in_accepted = np.intersect1d(lead.times, times, return_indices=True)
    if len(common) < run:
        return False
    return converged_from(world[in_accepted][-run:], lead.world[in_lead][-run:], tolerance, run) == 0


def extract_spans_joined(path: Path, plan: list[Span], counter=None, tolerance: float = JOIN_TOLERANCE_M,
                         run: int = JOIN_RUN) -> tuple[SpanPoses, JoinReport]:
    """Extract every span in its own process at once, then join them.

    A span's own poses are used from its start when its tracker, warmed up on the frames before its start,
    ends the warm-up in agreement with the poses of those frames (every landmark within `tolerance` metres
    for `run` frames). When it does not (it picked the person up differently after its cold start), the
    tracker of the frames before keeps going into the span until the two agree, and its poses replace the
    span's: the joined result is then what one pass gives, at the cost of that stretch run in series.
    """
    context = multiprocessing.get_context("spawn")  # MediaPipe's native threads do not survive a fork
    counter = counter if counter is not None else context.Value("q", 0)
    links, procs = [], []
    for span in plan:
        parent_end, child_end = context.Pipe()
        proc = context.Process(target=_span_process, args=(child_end, str(path), span, counter, tolerance, run),
                               daemon=True)
        proc.start()
        child_end.close()
        links.append(parent_end)
        procs.append(proc)
    try:
        spans = [_receive(link, "span") for link in links]
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
            links[current].send(owned)
            (handover,) = _receive(links[current], "handover")
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
        for link in links:
            with contextlib.suppress(OSError):
                link.send(None)
            link.close()
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
    return joined, JoinReport([s.start for s in plan[1:]], handovers, joined.warmup_frames)


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
                       overlap: float = OVERLAP_S, report: list | None = None) -> PoseSequence:
    """Extract `jobs` overlapping spans in `jobs` processes and join them (see `extract_spans_joined`)."""
    import threading

    path = Path(path)
    fps, first, frames, _ = _timeline(path)
    plan = plan_spans(first, frames, fps, jobs, overlap)
    counter = multiprocessing.get_context("spawn").Value("q", 0)
    finished = threading.Event()

    def report_progress():
        while not finished.wait(0.25):
            progress(counter.value, frames or None)

    ticker = threading.Thread(target=report_progress, daemon=True) if progress is not None else None
    if ticker is not None:
        ticker.start()
    try:
        poses, join = extract_spans_joined(path, plan, counter)
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

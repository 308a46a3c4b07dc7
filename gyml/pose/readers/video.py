"""Video -> 3D pose with MediaPipe Pose (legacy solution, model_complexity=1, shipped inside the wheel).

Decoding is PyAV's (threaded; frames are scaled down by the decoder, since the pose model works on
256-px crops and full-size RGB conversion would dominate the cost). Frames without a person are kept
and marked missing. MediaPipe's tracker follows one person: the first it detects, re-detected when lost.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from gyml.errors import GymlError
from gyml.pose.readers.mediapipe_landmarks import NUM_LANDMARKS, landmarks_to_sequence
from gyml.pose.readers.video_chunks import LandmarkBuffer
from gyml.pose.sequence import PoseSequence

MAX_SIDE = 640  # decoder output size: enough for the 256-px pose crop of a person filling a fraction of it


@contextlib.contextmanager
def quiet_native_logs():
    """Silence glog/TFLite lines that MediaPipe's C++ writes straight to file descriptor 2, and only
    those: Python's own `sys.stderr` (progress bars, our messages) is pointed at the real stderr
    meanwhile, so a progress bar keeps moving while native chatter goes nowhere."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    python_stderr = sys.stderr
    try:
        real = os.fdopen(os.dup(saved), "w", buffering=1, encoding=getattr(python_stderr, "encoding", None)
                         or "utf-8", errors="replace")
    except OSError:
        real = None
    try:
        os.dup2(devnull, 2)
        if real is not None and _writes_to_fd2(python_stderr):
            sys.stderr = real
        yield
    finally:
        if sys.stderr is real:
            sys.stderr = python_stderr
        if real is not None:
            with contextlib.suppress(OSError):
                real.close()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _writes_to_fd2(stream) -> bool:
    """Whether a Python text stream ends up on file descriptor 2 (not e.g. a test's capture buffer)."""
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):
        return False


def import_mediapipe():
    """MediaPipe, imported without loading matplotlib's pyplot on the way.

    Its solutions package imports `matplotlib.pyplot` for a plotting helper gyml never calls
    (`drawing_utils.plot_landmarks`): half of MediaPipe's import, 0.27-0.29 s of processor time in every
    process that reads a video (a span process's start included). While MediaPipe is imported, a module
    that loads the real pyplot on first use stands in for it; it is taken out of `sys.modules` afterwards,
    so any later `import matplotlib.pyplot` (the report's plots) is the real one."""
    if "mediapipe" in sys.modules or "matplotlib.pyplot" in sys.modules:
        import mediapipe

        return mediapipe
    import importlib
    import types

    on_first_use = types.ModuleType("matplotlib.pyplot")

    def step_aside():
        if sys.modules.get("matplotlib.pyplot") is on_first_use:
            del sys.modules["matplotlib.pyplot"]

    def real_pyplot(name):
        step_aside()  # even if used during MediaPipe's import: importing must not find this stand-in again
        return getattr(importlib.import_module("matplotlib.pyplot"), name)

    on_first_use.__getattr__ = real_pyplot
    sys.modules["matplotlib.pyplot"] = on_first_use
    try:
        import mediapipe
    finally:
        step_aside()
    return mediapipe


def pose_estimator():
    import warnings

    with quiet_native_logs(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            mp = import_mediapipe()
            from absl import logging as absl_logging
        except ImportError:
            raise GymlError("reading video needs mediapipe==0.10.14 (run `make install`)") from None
        absl_logging.set_verbosity(absl_logging.ERROR)
        pose = mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=True,
                                      min_detection_confidence=0.5, min_tracking_confidence=0.5)
        # The graph opens its calculators (loading the TFLite models, which logs to fd 2: absl's "WARNING:
        # All log messages before absl::InitializeLog()...", TFLite's "Feedback manager requires...")
        # on its own threads after the constructor returns. Wait for that here, while fd 2 is quiet:
        # a video that fails before its first frame (cut short) otherwise prints those lines above its
        # error, after the caller's quiet span has ended.
        with contextlib.suppress(Exception):
            pose._graph.wait_until_idle()
        return pose


@dataclass(frozen=True)
class VideoProbe:
    """What the container says about its video stream, before any frame is decoded."""

    fps: float                 # average frame rate
    rate: Fraction             # the same, exact (for writing an overlay at the input's rate)
    frames: int | None         # frame count, when the container knows it
    width: int                 # as displayed: after the rotation below
    height: int
    rotation: int              # degrees counter-clockwise the stored frames are turned for display
    duration: float | None     # seconds of video the container declares

    @property
    def expected_frames(self) -> int | None:
        """The frame count, or the one the declared duration implies."""
        if self.frames:
            return self.frames
        return int(round(self.duration * self.fps)) if self.duration else None


def unreadable_video(path: Path, exc: Exception) -> GymlError:
    """The one line for a file FFmpeg cannot open: its reason in a few words, without the error number and
    the path FFmpeg's own message carries ("[Errno 1094995529] Invalid data found when processing input:
    '/tmp/x.mp4'")."""
    import av

    if isinstance(exc, av.error.InvalidDataError):
        reason = "invalid data"
    else:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        reason = reason[:1].lower() + reason[1:]
    return GymlError(f"{path.name}: not a readable video ({reason})")


def _open(path: Path):
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise unreadable_video(path, exc) from None
    if not container.streams.video:
        container.close()
        raise GymlError(f"{path.name}: the file has no video stream")
    return container


def _tag_rotation(stream) -> int:
    """The legacy `rotate` tag (clockwise degrees) as counter-clockwise degrees in {0, 90, 180, 270}."""
    with contextlib.suppress(TypeError, ValueError):
        return int(round(-float((stream.metadata or {}).get("rotate", 0)) / 90.0)) % 4 * 90
    return 0


def probe_video(path: str | Path) -> VideoProbe:
    import av

    path = Path(path)
    with _open(path) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        width, height = stream.codec_context.width, stream.codec_context.height
        rotation = _tag_rotation(stream)
        try:
            # FFmpeg hands the stream's display matrix to every decoded frame: the first one tells
            for frame in container.decode(stream):
                rotation = int(round((frame.rotation or 0) / 90.0)) % 4 * 90 or rotation
                break
        except av.error.FFmpegError:
            pass   # a damaged first frame: `iter_timed_frames` tells how much was decodable
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / 1e6
        else:
            duration = None
    if rotation in (90, 270):
        width, height = height, width
    return VideoProbe(float(rate), Fraction(rate), stream.frames or None, width, height, rotation, duration)


def video_info(path: Path) -> tuple[float, int | None, int, int]:
    """(fps, frame count if the container knows it, width, height as displayed)."""
    p = probe_video(path)
    return p.fps, p.frames, p.width, p.height


def upright(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """A stored frame turned as its display matrix says (`rotation` degrees counter-clockwise)."""
    k = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, k)) if k else rgb


class RgbConverter:
    """Decoded frames -> RGB arrays of one size, scaled and converted in the calling thread.

    FFmpeg's scaler otherwise starts a pool of threads for every frame (hundreds of thread starts a
    second, 2.2 ms of processor time a 720p frame against 1.5 ms in one thread; the same pixels), which
    only competes with the pose model: the decoding thread already runs beside it."""

    def __init__(self, width: int, height: int):
        from av.video.reformatter import VideoReformatter

        self.width, self.height = width, height
        self._reformatter = VideoReformatter()
        self._threads = True

    def __call__(self, frame) -> np.ndarray:
        if self._threads:
            try:
                return self._reformatter.reformat(frame, width=self.width, height=self.height, format="rgb24",
                                                  threads=1).to_ndarray()
            except TypeError:  # a PyAV without the scaler's thread count
                self._threads = False
        return frame.to_ndarray(format="rgb24", width=self.width, height=self.height)


def iter_timed_frames(path: Path, max_side: int | None = MAX_SIDE, probe: VideoProbe | None = None
                      ) -> Iterator[tuple[np.ndarray, float]]:
    """(RGB frame (H, W, 3) uint8 as displayed, its time in seconds from the first frame), the frames
    scaled so the longer side is at most `max_side` (None: full size).

    After the last frame, a video whose decodable frames end well before the duration its container
    declares raises GymlError: a cut or damaged file is said, not analysed as a shorter clip.
    """
    import av

    probe = probe or probe_video(path)
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        w, h = stream.codec_context.width, stream.codec_context.height
        scale = 1.0 if max_side is None else min(1.0, max_side / max(w, h, 1))
        size = (max(2, int(round(w * scale / 2)) * 2), max(2, int(round(h * scale / 2)) * 2))
        to_rgb = RgbConverter(*size)
        first = end = None
        step = 1.0 / probe.fps
        damaged = None
        try:
            for frame in container.decode(stream):
                t = frame.time if frame.time is not None else (end if end is not None else 0.0)
                first = t if first is None else first
                length = float(frame.duration * frame.time_base) if frame.duration and frame.time_base else step
                end = max(end or t, t + length)
                rgb = to_rgb(frame)
                yield upright(rgb, probe.rotation), t - first
        except av.error.FFmpegError as exc:
            # A truncated file ends early; whether that lost a real part of it is judged below.
            damaged = exc
    _check_complete(path, probe, 0.0 if first is None else end - first, damaged)


# A video may end this much before its declared duration (rounding, an audio track outlasting it).
MISSING_TOLERANCE_S = 0.5
MISSING_TOLERANCE_SHARE = 0.05


def _check_complete(path: Path, probe: VideoProbe, decoded_s: float, damaged: Exception | None) -> None:
    declared = probe.duration
    if not declared:
        return
    missing = declared - decoded_s
    if missing > max(MISSING_TOLERANCE_S, MISSING_TOLERANCE_SHARE * declared):
        why = " (decoding failed)" if damaged is not None else ""
        raise GymlError(f"{path.name}: the video is truncated or damaged{why}: only {decoded_s:.1f} s of its "
                        f"{declared:.1f} s could be decoded")


def iter_frames(path: Path, max_side: int | None = MAX_SIDE) -> Iterator[np.ndarray]:
    """RGB frames as (H, W, 3) uint8 as displayed, scaled so the longer side is at most `max_side`."""
    for rgb, _ in iter_timed_frames(path, max_side):
        yield rgb


def prefetch_frames(frames: Iterator[np.ndarray], depth: int = 8) -> Iterator[np.ndarray]:
    """Decode in a background thread so decoding overlaps pose inference (both release the GIL).
    Leaving early (closing this generator) stops the thread and closes the decoder: a long-lived
    process (a Dask worker, the web server) that abandons a video keeps no thread or file behind."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    failure: list[BaseException] = []
    stop = threading.Event()

    def hand_over(item) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        from gyml.pose.readers.cpu_usage import FRAMES_THREAD, name_this_thread

        name_this_thread(FRAMES_THREAD)  # so that processor time per thread tells decoding from the model
        try:
            for frame in frames:
                if not hand_over(frame):
                    break
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer and raised there
            failure.append(exc)
        finally:
            with contextlib.suppress(Exception):
                frames.close()  # the decoder's threads and file, now and not when garbage is collected
            hand_over(done)

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    try:
        while (item := buffer.get()) is not done:
            yield item
    finally:
        stop.set()
        worker.join()
    if failure:
        raise failure[0]


def landmarks_of(result) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One MediaPipe result -> world (33, 3), image (33, 2), visibility (33,); NaN/0 when nobody."""
    if result.pose_world_landmarks is None:
        return (np.full((NUM_LANDMARKS, 3), np.nan), np.full((NUM_LANDMARKS, 2), np.nan), np.zeros(NUM_LANDMARKS))
    lw = result.pose_world_landmarks.landmark
    return (np.array([(p.x, p.y, p.z) for p in lw]),
            np.array([(p.x, p.y) for p in result.pose_landmarks.landmark]),
            np.array([p.visibility for p in lw]))


def track_frames(frames: Iterator[tuple[np.ndarray, float]], expected: int | None = None,
                 progress: Callable[[int, int | None], None] | None = None):
    """One MediaPipe tracker over (RGB frame, time) pairs, decoded in a background thread -> SpanPoses.
    `progress(done, total)` hears every frame (total: `expected`, or None when unknown)."""
    import warnings

    estimator = pose_estimator()
    # Compact float32 arrays, not a list of per-frame arrays: memory stays small for an hour of video.
    buffer = LandmarkBuffer(expected or 1024)
    with estimator, quiet_native_logs(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, (rgb, t) in enumerate(prefetch_frames(frames)):
            buffer.append(t, *landmarks_of(estimator.process(rgb)))
            if progress is not None:
                progress(i + 1, max(expected, i + 1) if expected else None)
    return buffer.finish()


def read_video(path: str | Path, progress: Callable[[int, int | None], None] | None = None) -> PoseSequence:
    """The pose in every frame; frame times (seconds) are kept in `times`, so a variable frame rate is
    timed right. `progress(done, total)` hears every frame (total: the container's frame count, or None)."""
    path = Path(path)
    probe = probe_video(path)
    poses = track_frames(iter_timed_frames(path, probe=probe), probe.expected_frames, progress)
    if not len(poses.times):
        raise GymlError(f"{path.name}: the video has no decodable frames (empty or truncated)")
    seq = landmarks_to_sequence(poses.world, poses.visibility, probe.fps, "video", image_landmarks=poses.image,
                                metadata={"file": path.name, "width": probe.width, "height": probe.height,
                                          "rotation": probe.rotation})
    return replace(seq, times=display_times(poses.times))


def display_times(stamps: np.ndarray) -> np.ndarray:
    """Frame times from the first frame on. Decoders hand frames out in display order, but AVI files with
    packed B-frames stamp them in decoding order (0, 40, 120, 80 ms ...): the sorted stamps are the
    display times (58 of UCF101's 267 clips)."""
    times = np.sort(np.asarray(stamps, dtype=np.float64))
    return times - times[0] if len(times) else times

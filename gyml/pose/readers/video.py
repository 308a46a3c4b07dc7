"""Video -> 3D pose with MediaPipe Pose (legacy solution, model_complexity=1, shipped inside the wheel).

Decoding is PyAV's (threaded; frames are scaled down by the decoder, since the pose model works on
256-px crops and full-size RGB conversion would dominate the cost). Frames without a person are kept
and marked missing. MediaPipe's tracker follows one person: the first it detects, re-detected when lost.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable, Iterator
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
    """Silence glog/TFLite lines that MediaPipe's C++ writes straight to file descriptor 2."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _pose_estimator():
    import warnings

    with quiet_native_logs(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import mediapipe as mp
            from absl import logging as absl_logging
        except ImportError:
            raise GymlError("reading video needs mediapipe==0.10.14 (run `make install`)") from None
        absl_logging.set_verbosity(absl_logging.ERROR)
        return mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=True,
                                      min_detection_confidence=0.5, min_tracking_confidence=0.5)


def video_info(path: Path) -> tuple[float, int | None, int, int]:
    """(fps, frame count if the container knows it, width, height)."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise GymlError(f"{path.name}: the file has no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or Fraction(30)
            return float(rate), (stream.frames or None), stream.codec_context.width, stream.codec_context.height
    except (av.error.FFmpegError, OSError) as exc:
        raise GymlError(f"{path.name}: not a readable video ({exc})") from None


def iter_frames(path: Path, max_side: int = MAX_SIDE) -> Iterator[np.ndarray]:
    """RGB frames as (H, W, 3) uint8, scaled so the longer side is at most `max_side`."""
    import av

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
        try:
            for frame in container.decode(stream):
                yield frame.to_ndarray(format="rgb24", width=size[0], height=size[1])
        except av.error.FFmpegError:
            # A truncated file ends early; the frames decoded so far are still real observations.
            return


def _prefetch(frames: Iterator[np.ndarray], depth: int = 8) -> Iterator[np.ndarray]:
    """Decode in a background thread so decoding overlaps pose inference (both release the GIL)."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    failure: list[BaseException] = []

    def produce():
        try:
            for frame in frames:
                buffer.put(frame)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer and raised there
            failure.append(exc)
        finally:
            buffer.put(done)

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    while (item := buffer.get()) is not done:
        yield item
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


def read_video(path: str | Path, progress: Callable[[int, int | None], None] | None = None) -> PoseSequence:
    import warnings

    path = Path(path)
    fps, expected, width, height = video_info(path)
    estimator = _pose_estimator()
    # Compact float32 arrays, not a list of per-frame arrays: memory stays small for an hour of video.
    buffer = LandmarkBuffer(expected or 1024)
    with estimator, quiet_native_logs(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, rgb in enumerate(_prefetch(iter_frames(path))):
            buffer.append(i / fps, *landmarks_of(estimator.process(rgb)))
            if progress is not None:
                progress(i + 1, expected)
    poses = buffer.finish()
    if not len(poses.times):
        raise GymlError(f"{path.name}: the video has no decodable frames (empty or truncated)")
    return landmarks_to_sequence(poses.world, poses.visibility, fps, "video", image_landmarks=poses.image,
                                 metadata={"file": path.name, "width": width, "height": height})

"""Live counting: camera or video frames -> MediaPipe pose -> StreamingCounter, optionally an overlay video.

The OpenCV build gyml installs is headless (no window); the count is printed and, with `output`, drawn
on the frames of an H.264 file written with PyAV.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from gyml.errors import GymlError
from gyml.pose.readers.mediapipe_landmarks import landmarks_to_sequence
from gyml.pose.readers.video import _pose_estimator, iter_frames, landmarks_of, quiet_native_logs, video_info
from gyml.reps.stream import StreamingCounter


def _camera_frames(index: int):
    import cv2

    cap = cv2.VideoCapture(index)
    if not cap.isOpened():
        raise GymlError(f"cannot open camera {index}")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0

    def frames():
        try:
            while True:
                ok, bgr = cap.read()
                if not ok:
                    return
                yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        finally:
            cap.release()
    return fps, frames()


def run_live(source: Path | int, output: Path | None = None,
             on_rep: Callable[[int, float], None] | None = None) -> int:
    """Count reps from a camera or a video as it plays; `on_rep(count, seconds)` hears every change of
    the count (a rise as reps end; rarely a fall, when later frames withdraw a rep)."""
    if isinstance(source, int):
        fps, frames = _camera_frames(source)
    else:
        fps = video_info(Path(source))[0]
        frames = iter_frames(Path(source))
    counter = StreamingCounter(fps)
    estimator = _pose_estimator()
    writer = _OverlayWriter(output, fps) if output else None
    with estimator, quiet_native_logs():
        for i, rgb in enumerate(frames):
            world, _, vis = landmarks_of(estimator.process(rgb))
            if np.isnan(world).all():
                joints, conf = None, None
            else:
                frame = landmarks_to_sequence(world[None], vis[None], fps, "live")
                joints, conf = frame.joints[0], frame.confidence[0]
            before = counter.count
            counter.update(joints, conf)
            if on_rep and counter.count != before:
                on_rep(counter.count, i / fps)
            if writer:
                writer.write(rgb, counter.count)
    before = counter.count
    counter.finish()
    if on_rep and counter.count != before:
        on_rep(counter.count, counter.frames_seen / fps)
    if writer:
        writer.close()
    return counter.count


class _OverlayWriter:
    def __init__(self, path: Path, fps: float):
        import av

        self.path = Path(path)
        self.container = av.open(str(self.path), "w")
        self.stream = self.container.add_stream("libx264", rate=round(fps))
        self.stream.pix_fmt = "yuv420p"
        self.started = False

    def write(self, rgb: np.ndarray, count: int) -> None:
        import av
        import cv2

        frame = np.ascontiguousarray(rgb)
        if not self.started:
            self.stream.width, self.stream.height = frame.shape[1] // 2 * 2, frame.shape[0] // 2 * 2
            self.started = True
        frame = frame[: self.stream.height, : self.stream.width].copy()
        cv2.putText(frame, f"reps: {count}", (20, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (255, 255, 255), 3)
        for packet in self.stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
            self.container.mux(packet)

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()

"""Live counting: camera or video frames -> MediaPipe pose -> StreamingCounter, optionally an overlay video.

The OpenCV build gyml installs is headless (no window); the count is printed, with `output` drawn on the
frames of an H.264 file written with PyAV, and with `serve_port` shown in a browser: a small HTTP server
(standard library only) streams the frames with the count drawn on as MJPEG and the count as JSON.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from gyml.errors import GymlError
from gyml.pose.readers.mediapipe_landmarks import landmarks_to_sequence
from gyml.pose.readers.video import (
    MAX_SIDE,
    _pose_estimator,
    iter_frames,
    landmarks_of,
    probe_video,
    quiet_native_logs,
)
from gyml.report.overlay import H264Writer
from gyml.reps.stream import StreamingCounter


def _camera_frames(index: int):
    import cv2

    # OpenCV's own warnings about a missing camera would precede our one-line error
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
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
             on_rep: Callable[[int, float], None] | None = None, serve_port: int | None = None,
             on_serve: Callable[[str], None] | None = None) -> int:
    """Count reps from a camera or a video as it plays; `on_rep(count, seconds)` hears every change of
    the count (a rise as reps end; rarely a fall, when later frames withdraw a rep). With `serve_port`
    the frames are shown at http://127.0.0.1:PORT/ (`on_serve(url)` hears the address; a video is then
    played at its own speed, so it can be watched)."""
    viewer = _FrameServer(serve_port) if serve_port is not None else None   # a taken port fails first
    try:
        if isinstance(source, int):
            fps, frames = _camera_frames(source)
            rate = Fraction(fps).limit_denominator(1001)
        else:
            probe = probe_video(Path(source))
            fps, rate = probe.fps, probe.rate
            # an overlay keeps the input's size: decode at full size, the pose model gets a scaled copy
            frames = iter_frames(Path(source), max_side=None if output else MAX_SIDE)
        counter = StreamingCounter(fps)
        estimator = _pose_estimator()
        writer = _OverlayWriter(output, rate) if output else None
        if viewer and on_serve:
            on_serve(viewer.url)
        _count_frames(frames, fps, counter, estimator, writer, viewer, on_rep,
                      pace=viewer is not None and not isinstance(source, int))
    finally:
        if viewer:
            viewer.close()
    before = counter.count
    counter.finish()
    if on_rep and counter.count != before:
        on_rep(counter.count, counter.frames_seen / fps)
    if writer:
        writer.close()
    return counter.count


def _count_frames(frames, fps, counter, estimator, writer, viewer, on_rep, pace: bool) -> None:
    started = time.monotonic()
    with estimator, quiet_native_logs():
        for i, rgb in enumerate(frames):
            world, _, vis = landmarks_of(estimator.process(_for_pose(rgb)))
            if np.isnan(world).all():
                joints, conf = None, None
            else:
                frame = landmarks_to_sequence(world[None], vis[None], fps, "live")
                joints, conf = frame.joints[0], frame.confidence[0]
            before = counter.count
            counter.update(joints, conf)
            if on_rep and counter.count != before:
                on_rep(counter.count, i / fps)
            if writer or viewer:
                shown = draw_count(rgb, counter.count)
                if writer:
                    writer.write(shown)
                if viewer:
                    viewer.publish(shown, counter.count)
            if pace:
                time.sleep(max(0.0, started + (i + 1) / fps - time.monotonic()))


def draw_count(rgb: np.ndarray, count: int) -> np.ndarray:
    """A copy of the frame with the count written in its top-left corner."""
    import cv2

    frame = np.array(rgb, order="C")   # a copy: the caller's frame stays clean
    cv2.putText(frame, f"reps: {count}", (20, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (255, 255, 255), 3)
    return frame


def _for_pose(rgb: np.ndarray) -> np.ndarray:
    """The frame the pose model sees: at most MAX_SIDE pixels on its longer side (its crops are 256 px)."""
    h, w = rgb.shape[:2]
    if max(h, w) <= MAX_SIDE:
        return rgb
    import cv2

    scale = MAX_SIDE / max(h, w)
    return cv2.resize(rgb, (max(2, round(w * scale)), max(2, round(h * scale))), interpolation=cv2.INTER_AREA)


class _OverlayWriter:
    """H.264 at the input's frame rate and the size of its first frame (the input's own size)."""

    def __init__(self, path: Path, rate: Fraction):
        self.path, self.rate = Path(path), rate
        self.writer: H264Writer | None = None

    def write(self, rgb: np.ndarray) -> None:
        if self.writer is None:
            self.writer = H264Writer(self.path, self.rate, rgb.shape[1], rgb.shape[0])
        self.writer.write(rgb)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


_PAGE = (b"<!doctype html><meta charset=utf-8><title>gyml live</title>"
         b"<body style='margin:0;background:#111'><img src='/stream' style='max-width:100%'></body>")


class _FrameServer:
    """The newest annotated frame as an MJPEG stream at /stream, a page showing it at /, the count as
    JSON at /count. Local only (127.0.0.1); each viewer gets frames as they come, none are queued."""

    def __init__(self, port: int):
        self._frame = b""
        self._count = 0
        self._seq = 0
        self._done = False
        self._changed = threading.Condition()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the CLI's output to the counts
                pass

            def do_GET(self):
                if self.path == "/":
                    self._send(200, "text/html", _PAGE)
                elif self.path == "/count":
                    self._send(200, "application/json", json.dumps({"count": server._count}).encode())
                elif self.path == "/stream":
                    self._stream()
                else:
                    self._send(404, "text/plain", b"not found")

            def _send(self, status: int, kind: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                seen = -1
                try:
                    while True:
                        with server._changed:
                            news = server._changed.wait_for(
                                lambda seen=seen: server._seq not in (seen, 0) or server._done, timeout=1.0)
                            if server._done:
                                return
                            if not news:   # no new frame yet
                                continue
                            seen, jpeg = server._seq, server._frame
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                         + str(len(jpeg)).encode() + b"\r\n\r\n" + jpeg + b"\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    return  # the viewer closed the page

        if not 0 <= port <= 65535:
            raise GymlError(f"cannot serve on port {port}: a port is 0-65535 (0: any free port)")
        try:
            self._http = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise GymlError(f"cannot serve on port {port}: {exc.strerror or exc}") from None
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def publish(self, rgb: np.ndarray, count: int) -> None:
        import cv2

        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
        if not ok:
            return
        with self._changed:
            self._frame, self._count, self._seq = jpeg.tobytes(), count, self._seq + 1
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._done = True
            self._changed.notify_all()
        self._http.shutdown()
        self._http.server_close()

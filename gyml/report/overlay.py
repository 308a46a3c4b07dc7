"""The analysis drawn onto the video: skeleton, running rep count, and each cue on the frames of its rep
(a hold: the seconds held so far, and each posture fault on the frames of its stretch).

`write_overlay(result, video, out)` decodes the input again at full size and writes H.264 (PyAV's
libx264) with the input's frame count, frame rate (its timestamps, when they vary) and displayed size.
The drawing helpers (`draw_skeleton`, `draw_text_box`) also serve the HTML report's stills.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np

from gyml.errors import GymlError

# MediaPipe's 33 landmarks: the body's bones (face and finger details left out).
BONES = ((11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
         (23, 25), (25, 27), (24, 26), (26, 28), (27, 31), (28, 32), (27, 29), (28, 30))
# The landmarks a cue's body part names (gyml.coach.feedback's joints).
PART_LANDMARKS = {"knee": (25, 26), "hip": (23, 24), "elbow": (13, 14), "shoulder": (11, 12),
                  "arm_opening": (11, 12, 13, 14), "trunk": (11, 12, 23, 24), "head": (0, 7, 8),
                  "feet": (27, 28, 31, 32), "knee_tracking": (25, 26)}
SKELETON_RGB = (60, 220, 120)
FAULT_RGB = (235, 60, 50)


def ascii_text(text: str) -> str:
    """OpenCV's Hershey fonts draw ASCII only."""
    text = text.replace("\u00b0", " deg").replace("\u2013", "-").replace("\u2014", "-")
    return text.encode("ascii", "replace").decode("ascii")


def draw_skeleton(rgb: np.ndarray, points: np.ndarray, marked: tuple[int, ...] = (),
                  colour: tuple[int, int, int] = SKELETON_RGB) -> None:
    """Draw the bones of one frame's (33, 2) normalised image landmarks onto `rgb` in place; landmarks
    in `marked` get a ring in the fault colour. Nothing is drawn for a frame without a person."""
    import cv2

    if points is None or not np.isfinite(points[[11, 12, 23, 24]]).all():
        return
    h, w = rgb.shape[:2]
    px = np.nan_to_num(points * (w, h), nan=-1e4).round().astype(int)
    thick = max(2, round(min(h, w) / 180))
    for a, b in BONES:
        if np.isfinite(points[[a, b]]).all():
            cv2.line(rgb, tuple(px[a]), tuple(px[b]), colour, thick, cv2.LINE_AA)
    for k in {i for bone in BONES for i in bone}:
        if np.isfinite(points[k]).all():
            cv2.circle(rgb, tuple(px[k]), thick + 1, (255, 255, 255), -1, cv2.LINE_AA)
    for k in marked:
        if np.isfinite(points[k]).all():
            cv2.circle(rgb, tuple(px[k]), 5 * thick, FAULT_RGB, thick, cv2.LINE_AA)


def draw_text_box(rgb: np.ndarray, lines: list[str], origin: tuple[int, int], scale: float,
                  colour: tuple[int, int, int] = (255, 255, 255)) -> int:
    """Lines of text on a dark box from `origin` (top-left); returns the y below the box."""
    import cv2

    if not lines:
        return origin[1]
    font, thick = cv2.FONT_HERSHEY_SIMPLEX, max(1, round(2 * scale))
    sizes = [cv2.getTextSize(line, font, scale, thick)[0] for line in lines]
    step = int(max(s[1] for s in sizes) * 1.7)
    x, y = origin
    right = min(rgb.shape[1], x + max(s[0] for s in sizes) + 2 * step // 3)
    bottom = min(rgb.shape[0], y + step * len(lines) + step // 3)
    box = rgb[y:bottom, x:right]
    box[:] = (box * 0.35).astype(rgb.dtype)
    for i, line in enumerate(lines):
        cv2.putText(rgb, line, (x + step // 3, y + step * (i + 1) - step // 4), font, scale, colour, thick,
                    cv2.LINE_AA)
    return bottom


def wrap(text: str, width: int) -> list[str]:
    words, lines, line = ascii_text(text).split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])


def rep_cues(analysis) -> dict[int, list[tuple[str, str | None]]]:
    """rep number -> [(cue message, body part)] for every fault cue that names the rep."""
    cues: dict[int, list[tuple[str, str | None]]] = {}
    for f in analysis.feedback:
        if f.severity != "fault":
            continue
        for rep in (f.reps or ([f.rep] if f.rep is not None else [])):
            cues.setdefault(rep, []).append((f.message, f.joint))
    return cues


def hold_cues(analysis, times: np.ndarray) -> tuple[np.ndarray, list[list[tuple[str, str | None]]]]:
    """For a hold, frame by frame (`times`: each frame's seconds, as the hold coach counts them): the
    seconds held so far (from the hold's start, stopping at its end), and [(cue message, body part)] of
    each posture fault whose stretch the frame is in."""
    hold = analysis.extras["hold"]
    start, end = hold.get("start_s"), hold.get("end_s")
    held = np.zeros(len(times)) if start is None else np.clip(times - start, 0.0, end - start)
    told = {f.kind: (f.message, f.joint) for f in analysis.feedback if f.kind and f.severity in ("fault", "warn")}
    here: list[list[tuple[str, str | None]]] = [[] for _ in times]
    for stretch in hold.get("segments", []):
        if stretch["fault"] not in told:
            continue
        inside = np.flatnonzero((times >= stretch["start_s"]) & (times <= stretch["end_s"]))
        for i in inside:
            if told[stretch["fault"]] not in here[i]:
                here[i].append(told[stretch["fault"]])
    return held, here


class H264Writer:
    """An H.264 .mp4 written with PyAV at a given size and frame rate; with `times`, each frame keeps
    its own timestamp (a variable frame rate stays variable)."""

    def __init__(self, path: str | Path, rate: Fraction | float, width: int, height: int,
                 variable: bool = False):
        import av

        self.path = Path(path)
        rate = Fraction(rate).limit_denominator(1001) if not isinstance(rate, Fraction) else rate
        # yuv420p needs even sides; an odd side loses its last row or column
        self.width, self.height = width // 2 * 2, height // 2 * 2
        self.variable = variable
        self.time_base = Fraction(1, 90000) if variable else 1 / rate
        try:
            self.container = av.open(str(self.path), "w")
        except (av.error.FFmpegError, OSError) as exc:
            raise GymlError(f"cannot write {self.path}: {exc}") from None
        self.stream = self.container.add_stream("libx264", rate=rate)
        self.stream.width, self.stream.height, self.stream.pix_fmt = self.width, self.height, "yuv420p"
        self.stream.codec_context.time_base = self.time_base
        self.stream.options = {"preset": "veryfast", "crf": "22"}
        self.frames = 0

    def write(self, rgb: np.ndarray, seconds: float | None = None) -> None:
        import av

        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[: self.height, : self.width]), format="rgb24")
        frame.time_base = self.time_base
        frame.pts = int(round(seconds / self.time_base)) if self.variable and seconds is not None else self.frames
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()


def varies(times: np.ndarray | None, fps: float) -> bool:
    """Whether frame times stray from a constant rate by more than a quarter frame."""
    if times is None or len(times) < 2:
        return False
    return bool(np.abs(times - times[0] - np.arange(len(times)) / fps).max() > 0.25 / fps)


def write_overlay(result, video_path: str | Path, out_path: str | Path,
                  progress: Callable[[int, int | None], None] | None = None) -> Path:
    """`result` (a pipeline AnalysisResult of `video_path`) drawn onto the video: skeleton, running rep
    count, each fault cue on the frames of its rep (the body part at fault ringed). H.264 at the input's
    size, frame count and frame rate. Written through a temporary file: a failure leaves no partial one."""
    import contextlib
    import os
    import shutil
    import tempfile

    from gyml.pose.readers.video import iter_timed_frames, probe_video
    from gyml.pose.sequence import output_target, target_mode

    video_path, out_path = Path(video_path), Path(out_path)
    seq = result.sequence
    if seq.image_landmarks is None or seq.image_landmarks.shape[1] != 33:
        raise GymlError("an overlay needs a video input (pose files carry no image positions)")
    if not out_path.parent.exists():
        raise GymlError(f"output folder does not exist: {out_path.parent}")
    probe = probe_video(video_path)
    segments = result.reps.segments
    ends = np.array(sorted(s.end for s in segments))
    cues = rep_cues(result.analysis)
    rep_at = np.zeros(len(seq), int)
    for s in segments:
        rep_at[s.start:s.end + 1] = s.index
    hold = result.analysis.extras.get("hold")
    held = hold_cues(result.analysis, np.arange(len(seq)) / seq.fps) if hold else None
    variable = varies(seq.times, seq.fps)
    # the video needs a seekable file: a device or pipe (/dev/stdout) gets it copied in once written; a
    # link's file is replaced and the link kept (gyml.pose.sequence.output_target)
    target, in_place = output_target(out_path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".mp4",
                               dir=None if in_place else target.parent)
    os.fchmod(fd, target_mode(target))   # mkstemp's 0600, not what any other program would give the file
    os.close(fd)
    writer = H264Writer(tmp, probe.rate, probe.width, probe.height, variable=variable)
    total = probe.expected_frames or len(seq)
    try:
        for i, (rgb, t) in enumerate(iter_timed_frames(video_path, max_side=None, probe=probe)):
            if i >= len(seq):
                break
            frame = np.array(rgb)   # writable: decoded frames may be read-only views
            rep = int(rep_at[i])
            here = held[1][i] if held else cues.get(rep, []) if rep else []
            marked = tuple(k for _, part in here for k in PART_LANDMARKS.get(part or "", ()))
            draw_skeleton(frame, seq.image_landmarks[i], marked)
            scale = max(0.45, frame.shape[0] / 720 * 0.8)
            done = int(np.searchsorted(ends, i, side="right"))
            label = f"held: {held[0][i]:.1f} s" if held else f"reps: {done}"
            y = draw_text_box(frame, [label], (10, 10), scale * 1.4)
            width = max(20, int(frame.shape[1] / (19 * scale)))
            for message, _ in here:
                y = draw_text_box(frame, wrap(message, width), (10, y + 8), scale, FAULT_RGB_TEXT)
            writer.write(frame, t)
            if progress is not None:
                progress(i + 1, total)
        writer.close()
        if in_place:
            with open(tmp, "rb") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            Path(tmp).unlink()
        else:
            os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(Exception):
            writer.container.close()
        Path(tmp).unlink(missing_ok=True)
        raise
    return out_path


FAULT_RGB_TEXT = (255, 200, 190)


def check_overlay_target(inputs: list[Path], out_path: Path) -> None:
    """Before any work: one video input and an .mp4 in a folder that exists."""
    from gyml.pose.readers import sniff_format

    if len(inputs) != 1:
        raise GymlError("--overlay draws on one video: give a single input")
    if out_path.suffix.lower() != ".mp4":
        raise GymlError(f"--overlay writes H.264 .mp4: {out_path.name} does not end in .mp4")
    if out_path.is_dir():
        raise GymlError(f"--overlay: {out_path} is a folder, not a file")
    if not out_path.parent.exists():
        raise GymlError(f"output folder does not exist: {out_path.parent}")
    if sniff_format(Path(inputs[0])) != "video":
        raise GymlError(f"--overlay draws on a video: {Path(inputs[0]).name} is a pose file")

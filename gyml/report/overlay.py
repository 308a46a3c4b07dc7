"""The analysis drawn onto the video: skeleton, running rep count, and each cue when it applies (a hold: the
seconds held so far, and each posture fault on the frames of its stretch).

A rep's cue is shown in its phase as the coach measured the rep (`rep_metrics[i]["frames"]`: start, turning
point, end): "mid" (at the bottom / at the top) around the turning point, "descent" from the start to it,
"ascent" from it to the end, "start"/"end" near those ends, "overall" over the whole rep; each stays at least
`READ_S` seconds (not over the next rep's cues). At most `MOST_CUES` at once, each as its "what" (the message
before " - "), in turns when more apply; the body part of each cue on screen is ringed.

`write_overlay(result, video, out)` decodes the input again at full size and writes H.264 (PyAV's
libx264) with the input's frame count, frame rate (its timestamps, when they vary) and displayed size.
`draw_skeleton` also serves the HTML report's stills. Text is drawn with Pillow's bundled font (a real
degree sign); without FreeType, OpenCV's Hershey font with a small ring for the degree sign.
"""

from __future__ import annotations

import functools
import re
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


# Characters Pillow's bundled font lacks, and what is drawn instead.
PLAIN = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def frame_text(text: str) -> str:
    """Text the frame's font can draw: dashes and quotes made plain, anything beyond Latin-1 a '?'."""
    return text.translate(PLAIN).encode("latin-1", "replace").decode("latin-1")


@functools.lru_cache(maxsize=16)
def _font(size: int):
    """Pillow's bundled font at `size` pixels (Pillow >= 10.1 with FreeType), else None."""
    try:
        from PIL import ImageFont

        font = ImageFont.load_default(size=size)
    except (ImportError, TypeError, OSError):
        return None
    return font if isinstance(font, ImageFont.FreeTypeFont) else None


def _hershey_line(mask: np.ndarray, line: str, origin: tuple[int, int], size: int) -> None:
    """One line in OpenCV's Hershey font, each degree sign a small ring after its number."""
    import cv2

    font, scale = cv2.FONT_HERSHEY_SIMPLEX, size / 30
    thick = max(1, round(size / 15))
    x, y = origin
    pieces = line.split("\u00b0")
    for k, piece in enumerate(pieces):
        piece = piece.encode("ascii", "replace").decode("ascii")
        cv2.putText(mask, piece, (x, y), font, scale, 255, thick, cv2.LINE_AA)
        x += cv2.getTextSize(piece, font, scale, thick)[0][0]
        if k < len(pieces) - 1:
            r = max(2, round(size / 8))
            cv2.circle(mask, (x + r + 1, y - round(size * 0.62)), r, 255, max(1, thick - 1), cv2.LINE_AA)
            x += 2 * r + 3


def line_width(text: str, size: int) -> float:
    """How wide `text` is drawn at `size` pixels."""
    font = _font(size)
    if font is not None:
        return font.getlength(frame_text(text))
    import cv2

    plain = frame_text(text).replace("\u00b0", "  ").encode("ascii", "replace").decode("ascii")
    return cv2.getTextSize(plain, cv2.FONT_HERSHEY_SIMPLEX, size / 30, max(1, round(size / 15)))[0][0]


@functools.lru_cache(maxsize=512)
def text_mask(lines: tuple[str, ...], size: int) -> np.ndarray:
    """The ink of `lines` at `size` pixels on their box (margins included), 0-1 float32: drawn once, reused."""
    pad, step = max(3, size // 3), round(size * 1.3)
    width = round(max(line_width(line, size) for line in lines)) + 2 * pad
    mask = np.zeros((step * len(lines) + 2 * pad - (step - size) // 2, width), np.uint8)
    font = _font(size)
    if font is not None:
        from PIL import Image, ImageDraw

        image = Image.fromarray(mask)
        draw = ImageDraw.Draw(image)
        for i, line in enumerate(lines):
            draw.text((pad, pad + i * step), frame_text(line), font=font, fill=255)
        mask = np.asarray(image)
    else:
        for i, line in enumerate(lines):
            _hershey_line(mask, frame_text(line), (pad, pad + i * step + size * 3 // 4), size)
    return mask.astype(np.float32) / 255


def draw_text_box(rgb: np.ndarray, lines: list[str] | tuple[str, ...], origin: tuple[int, int], size: int,
                  colour: tuple[int, int, int] = (255, 255, 255)) -> int:
    """Lines of text `size` pixels high on a dark box from `origin` (top-left), in place; returns the y below
    the box."""
    if not lines:
        return origin[1]
    ink = text_mask(tuple(lines), int(size))
    x, y = origin
    h, w = min(ink.shape[0], rgb.shape[0] - y), min(ink.shape[1], rgb.shape[1] - x)
    if h <= 0 or w <= 0:
        return origin[1]
    box = rgb[y:y + h, x:x + w].astype(np.float32) * 0.35
    alpha = ink[:h, :w, None]
    box += alpha * (np.asarray(colour, np.float32) - box)
    rgb[y:y + h, x:x + w] = box.astype(rgb.dtype)
    return y + h


@functools.lru_cache(maxsize=256)
def wrap(text: str, width: float, size: int, most: int = 2) -> tuple[str, ...]:
    """`text` in lines no wider than `width` pixels at `size`; at most `most` lines, the last cut with '...'.
    Measured once per text (a cue stays for many frames)."""
    lines, line = [], ""
    for word in text.split():
        if line and line_width(f"{line} {word}", size) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines += [line] if line else []
    if len(lines) > most:
        last = " ".join(lines[most - 1:]).split()
        while len(last) > 1 and line_width(" ".join(last) + "...", size) > width:
            last.pop()
        lines = lines[:most - 1] + [" ".join(last).rstrip(",;:") + "..."]
    return tuple(lines)


# "Reps 2-3 and 11, at the bottom: " before a rep's cue (gyml.coach.feedback.phrase)
REPS_SAID = re.compile(r"^Reps? \d[\d, and-]*(?:, [^:]+)?: ")


def cue_text(message: str) -> str:
    """A cue's "what", as drawn on the frame: without the reps and moment (the frame shows them) and without
    the how-to after " - ": "Reps 1-2, over the rep: your hips sag 17° below the line - squeeze ..." ->
    "Your hips sag 17° below the line"."""
    text = REPS_SAID.sub("", message, count=1).split(" - ")[0].strip().rstrip(".")
    return text[:1].upper() + text[1:]


READ_S = 1.5     # a cue stays on screen at least this long (seconds), to be read
MOST_CUES = 2    # cues on a frame at once; when more apply, they take turns of READ_S


def coached_segments(result) -> dict:
    """rep number -> RepSegment (start, turning point as `mid`, end) as the coach measured the rep (its
    rep_metrics' frames: its turning point can differ from the count's midpoint), else as counted. The
    report's stills and the overlay's cues are placed by it."""
    from gyml.reps.counter import RepSegment

    segments = {s.index: s for s in result.reps.segments}
    segments.update({m["rep"]: RepSegment(m["rep"], int(m["frames"]["start"]), int(m["frames"]["turn"]),
                                          int(m["frames"]["end"]))
                     for m in result.analysis.extras.get("rep_metrics", []) if "frames" in m and m["rep"] in segments})
    return segments


def phase_frames(phase: str, start: int, turn: int, end: int) -> tuple[int, int]:
    """The frames (first, last) of a rep where a cue of `phase` applies: "mid" around the turning point,
    "descent" up to it, "ascent" from it, "start"/"end" the first/last third of the way to or from it,
    anything else ("overall") the whole rep."""
    return {"mid": (turn - (turn - start) // 4, turn + (end - turn) // 4), "descent": (start, turn),
            "ascent": (turn, end), "start": (start, start + (turn - start) // 3),
            "end": (end - (end - turn) // 3, end)}.get(phase, (start, end))


def cue_windows(result, times: np.ndarray) -> list[tuple[int, int, str, str | None, bool]]:
    """(first frame, last frame, text drawn, body part, whether the cue names a moment) of each fault cue on
    each rep it names: the frames of its phase, held to at least READ_S seconds from its first frame (to the
    video's end at most, and not over a later rep's cues). `times`: each frame's seconds."""
    segments = coached_segments(result)
    spans = []
    for f in result.analysis.feedback if len(times) else ():
        if f.severity != "fault":
            continue
        for rep in (f.reps or ([f.rep] if f.rep is not None else [])):
            if rep in segments:
                seg = segments[rep]
                first, last = (int(np.clip(k, 0, len(times) - 1))
                               for k in phase_frames(f.phase, seg.start, seg.mid, seg.end))
                spans.append((rep, first, max(first, last), cue_text(f.message), f.joint,
                              f.phase not in ("overall", None)))
    windows = []
    for rep, first, last, text, part, moment in spans:
        read = int(np.searchsorted(times, times[first] + READ_S - 1e-6)) - 1
        later = [a for r, a, *_ in spans if r > rep and a > first]
        until = min(later) - 1 if later else len(times) - 1
        windows.append((first, max(last, min(read, until)), text, part, moment))
    return windows


def take_turns(here: list[list[tuple[str, str | None, bool]]], times: np.ndarray,
               most: int = MOST_CUES) -> list[list[tuple[str, str | None]]]:
    """Frame by frame, which of the cues that apply (`here`: [(text, part, names a moment)], the more
    important first) are on screen: at most `most`, each kept in its place. When more apply, one on screen
    for READ_S gives way to one waiting (a whole-rep one gives way at once to a moment's), those never
    shown first, then those off screen longest (READ_S at least)."""
    slots: list[list] = []      # [cue, frame it came on screen]
    off: dict = {}              # cue -> frame it left the screen
    shown = []
    for i, cues in enumerate(here):
        moment = {c[:2]: c[2] for c in cues}
        for slot in list(slots):
            if slot[0] not in moment:
                slots.remove(slot)
                off[slot[0]] = i
        on = {slot[0] for slot in slots}
        waiting = sorted((c for c in moment if c not in on), key=lambda c: (not moment[c], c in off, off.get(c, 0)))
        for cue in waiting:
            if len(slots) < most:
                slots.append([cue, i])
                continue
            if cue in off and times[i] - times[off[cue]] < READ_S - 1e-6:
                continue    # just had its turn
            done = [k for k, (c, since) in enumerate(slots)
                    if times[i] - times[since] >= READ_S - 1e-6 or (moment[cue] and not moment[c])]
            if not done:
                break
            k = min(done, key=lambda k: (moment[slots[k][0]], slots[k][1]))
            off[slots[k][0]] = i
            slots[k] = [cue, i]
        shown.append([c for c, _ in slots])
    return shown


def rep_cue_frames(result, times: np.ndarray) -> list[list[tuple[str, str | None]]]:
    """Frame by frame, the (text, body part) of each rep cue on screen (see `cue_windows`, `take_turns`)."""
    here: list[list[tuple[str, str | None, bool]]] = [[] for _ in times]
    for first, last, text, part, moment in cue_windows(result, times):
        for i in range(first, last + 1):
            if not any(c[:2] == (text, part) for c in here[i]):
                here[i].append((text, part, moment))
    return take_turns(here, times)


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
    count, each fault cue when it applies in its rep (the body part at fault ringed while it is shown). H.264 at the input's
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
    ends = np.array(sorted(s.end for s in result.reps.segments))
    times = np.asarray(seq.times if seq.times is not None else np.arange(len(seq)) / seq.fps, float)
    held = None
    if result.analysis.extras.get("hold"):
        held, told = hold_cues(result.analysis, times)
        cues = take_turns([[(cue_text(m), part, False) for m, part in here] for here in told], times)
    else:
        cues = rep_cue_frames(result, times)
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
            here = cues[i]
            marked = tuple(k for _, part in here for k in PART_LANDMARKS.get(part or "", ()))
            draw_skeleton(frame, seq.image_landmarks[i], marked)
            size = text_px(frame.shape)
            done = int(np.searchsorted(ends, i, side="right"))
            label = f"held: {held[i]:.1f} s" if held is not None else f"reps: {done}"
            y = draw_text_box(frame, [label], (10, 10), round(size * 1.3))
            for text, _ in here:
                y = draw_text_box(frame, wrap(text, frame.shape[1] - 20 - size, size), (10, y + size // 3),
                                  size, FAULT_RGB_TEXT)
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


def text_px(shape: tuple[int, ...]) -> int:
    """The cue text's height in pixels on a frame of `shape`: 14 on a 640x360 frame, 24 on 1280x720."""
    return max(14, round(min(shape[:2]) * 0.034))


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

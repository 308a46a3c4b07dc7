"""Read any supported pose source into a `PoseSequence`, detecting the format from the file's content."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from gyml.errors import GymlError
from gyml.pose.safe_pickle import is_pickle_bytes, safe_load
from gyml.pose.sequence import PoseSequence

VIDEO_FORMATS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
VIDEO_SUFFIXES = set(VIDEO_FORMATS)
POSE_FORMATS = (".npz", ".npy", ".pkl", ".json", ".csv")
# Said of a file gyml cannot read, with the kinds it can
UNSUPPORTED = (f"unsupported file type (unknown file format); gyml reads videos ({', '.join(VIDEO_FORMATS)}) "
               f"and pose files ({', '.join(POSE_FORMATS)})")
# How much of a text file is looked at to tell a table of numbers (CSV keypoints) from other text
TEXT_SAMPLE = 16384
SOURCES = ("video", "phalp", "flag3d", "flag3d_keypoints", "repcount", "npz", "csv", "keypoints")
# The rate a pose file that stores none is read at, unless one is given; the sequence then carries
# metadata["fps_assumed"], so the analysis can say its seconds rest on a guess.
ASSUMED_FPS = 30.0


def sniff_format(path: Path) -> str:
    """Name the reader for a file: 'video', 'pickle', 'npz', 'npy', 'json' or 'csv'."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except FileNotFoundError:
        raise GymlError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise GymlError(f"expected a file, got a folder: {path}") from None
    except OSError as exc:
        raise GymlError(f"cannot read {path}: {exc.strerror}") from None
    if not head:
        raise GymlError(f"{path.name}: the file is empty")
    if head[4:8] == b"ftyp" or head[:4] == b"\x1a\x45\xdf\xa3" or (head[:4] == b"RIFF" and head[8:11] == b"AVI"):
        return "video"
    if head[:4] == b"PK\x03\x04":
        return "npz"
    if head[:6] == b"\x93NUMPY":
        return "npy"
    if is_pickle_bytes(head):
        return "pickle"
    if path.suffix.lower() in VIDEO_SUFFIXES:
        # Containers without a magic number we know (e.g. some .mov/.mkv variants): let the decoder judge.
        return "video"
    binary = {".pkl": "a pickle", ".pickle": "a pickle", ".npy": "a NumPy .npy file", ".npz": "a NumPy .npz file"}
    if path.suffix.lower() in binary:   # named as one, but its first bytes are not: damaged, or misnamed
        raise GymlError(f"{path.name}: not {binary[path.suffix.lower()]} (its first bytes are not one's): "
                        "a damaged or misnamed file")
    text = _text_sample(path)
    if text is None:
        raise GymlError(f"{path.name}: {UNSUPPORTED}")
    # Named as JSON or CSV: that reader's own message says what is wrong with it. Otherwise (another name,
    # or an upload stored under a name of ours) the content must show keypoints as JSON or as a table of
    # numbers: a note or a log read as CSV was said to have "no data rows".
    if path.suffix.lower() in (".json", ".csv"):
        return path.suffix.lower()[1:]
    text = text.removeprefix("\ufeff")   # a byte-order mark
    if _looks_like_json(text):
        return "json"
    if _looks_like_table(text, whole=path.stat().st_size <= TEXT_SAMPLE):
        return "csv"
    raise GymlError(f"{path.name}: {UNSUPPORTED}")


def _text_sample(path: Path) -> str | None:
    """The file's first TEXT_SAMPLE bytes as text, or None when they are not UTF-8 text."""
    with open(path, "rb") as fh:
        sample = fh.read(TEXT_SAMPLE)
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # a character cut at the sample's end is fine
            return None
        text = sample[: exc.start].decode("utf-8")
    return None if any(ord(c) < 32 and c not in "\t\r\n" for c in text) else text


def _looks_like_json(text: str) -> bool:
    """Text that opens as a JSON object or array does ('[section]' of an INI file does not)."""
    text = text.lstrip()
    if text[:1] not in ("{", "["):
        return False
    after = text[1:].lstrip()[:1]
    return after in ("", '"', "}") if text[0] == "{" else (after == "" or after in '[{]"-.0123456789ntfNI')


def _looks_like_table(text: str, whole: bool) -> bool:
    """A CSV of keypoints: among its first lines, one of three or more cells, all numbers or blank after
    the first (a frame or time column), split at ',' (or ';', which the CSV reader then names). Prose, a
    log or a list is not: such a file was read as CSV and said to have "no data rows"."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not whole and lines:
        lines.pop()   # cut at the sample's end
        if not lines:   # one line longer than the sample: a very wide header or row
            return text.count(",") >= 2 or text.count(";") >= 2
    return any(_numeric_row(line, sep) for line in lines[:10] for sep in (",", ";"))


_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^[-+]?(nan|inf|infinity)$", re.IGNORECASE)


def _numeric_row(line: str, sep: str) -> bool:
    cells = [cell.strip().strip('"').strip() for cell in line.split(sep)]
    first, rest = cells[0], cells[1:]
    # "12,,,,": a frame numbered, nobody found in it (a take can start with many)
    return (len(cells) >= 3 and (any(rest) or bool(_NUMBER.match(first)))
            and all(not c or _NUMBER.match(c) for c in rest))


def read_pose(path: str | Path, *, fps: float | None = None, progress=None, layout: str | None = None,
              jobs: int = 1) -> PoseSequence:
    """Read a video or pose file. `fps` overrides sources that do not store it (pkl, npy, csv, json);
    `layout` names the keypoint layout of a file whose keypoint count fits several (see gyml.pose.layouts).
    `jobs`: processes extracting a long video in overlapping spans (0: every core; 1: one pass)."""
    from gyml.validate import check_fps

    check_fps(fps, "fps")  # 0 used to fall back to 30 silently
    path = Path(path)
    kind = sniff_format(path)
    if kind == "video":
        if jobs == 1:
            from gyml.pose.readers.video import read_video
            seq = read_video(path, progress=progress)
        else:
            from gyml.pose.readers.video_chunks import read_video_parallel
            seq = read_video_parallel(path, jobs, progress=progress)
        from gyml.pose.readers.mover import follow_mover
        seq = follow_mover(path, seq)  # a bystander tracked instead of the person exercising
    elif kind == "npz":
        seq = PoseSequence.load(path)
    elif kind == "npy":
        from gyml.pose.readers.keypoints import read_npy
        seq = read_npy(path, fps=fps or ASSUMED_FPS, layout=layout)
    elif kind == "json":
        from gyml.pose.readers.keypoints import read_keypoints_json
        seq = read_keypoints_json(path, fps=fps, layout=layout)
    elif kind == "csv":
        from gyml.pose.readers.landmarks_csv import read_landmarks_csv
        seq = read_landmarks_csv(path, fps=fps or ASSUMED_FPS, layout=layout)
    else:
        seq = read_pickle(path, fps=fps)
    if fps is None and kind in ("npy", "csv", "pickle"):  # none of these formats stores a frame rate
        seq.metadata["fps_assumed"] = True
    return finish_sequence(path, seq)


def finish_sequence(path: Path, seq: PoseSequence) -> PoseSequence:
    """What every reader's sequence goes through: someone found, absent joints named, plausibility."""
    if not seq.present.any():
        raise GymlError(f"{path.name}: no person found in any frame")
    if "absent_joints" not in seq.metadata:
        from gyml.pose.layouts import mark_absent_joints
        mark_absent_joints(seq)
    from gyml.pose.plausibility import apply_plausibility
    return apply_plausibility(seq, path.name)


def read_pickle(path: Path, fps: float | None = None) -> PoseSequence:
    from gyml.pose.readers import flag3d, phalp

    obj = safe_load(path)
    # The pickle's structure is the file's say: a list where an array belongs, an array where a number
    # belongs, values numpy cannot cast. Those are faults of the file, told in one line.
    try:
        with np.errstate(all="ignore"):  # casts of NaN/inf/out-of-range values: made unknown downstream
            if flag3d.looks_like_smpl_params(obj):
                return flag3d.smpl_params_to_sequence(obj, name=path.name, fps=fps or ASSUMED_FPS)
            if flag3d.looks_like_keypoints(obj):
                return flag3d.keypoints_to_sequence(obj, name=path.name, fps=fps or ASSUMED_FPS)
            if phalp.looks_like_phalp(obj):
                return phalp.phalp_to_sequence(obj, name=path.name, fps=fps or ASSUMED_FPS)
    except GymlError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, ZeroDivisionError,
            RecursionError) as exc:
        raise GymlError(f"{path.name}: the pickle's contents do not fit its layout ({type(exc).__name__}: "
                        f"{str(exc)[:160]})") from None
    raise GymlError(f"{path.name}: a pickle, but not a PHALP/4D-Humans tracking file or a FLAG3D file "
                    "(expected keys such as 'smpl'/'pose' per frame, 'poses'/'Rh'/'Th', or 'annotations')")

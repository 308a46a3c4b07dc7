"""Checks at the edge: option values, stored values and output paths, each refused with one clear line
(a `GymlError`) before any work starts. Plain functions, so the CLI and the web layer share them."""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path

from gyml.errors import GymlError

# Frame rates of real cameras run from time-lapse-ish 1 fps to 1000 fps high-speed capture; the signal
# processing sizes its filters in frames from the rate, so a claimed rate outside this range is refused
# rather than allowed to size a filter by it.
MIN_FPS = 1.0
MAX_FPS = 1000.0
# The longest recording we accept: 6 hours at 60 fps. Anything claiming more frames than this is refused.
MAX_FRAMES = 6 * 3600 * 60
MAX_SYNTH_REPS = 500
MAX_PER_CLASS = 100_000
MAX_MISSING_RATE = 0.9
MAX_NOISE_M = 0.5

_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


def check_number(name: str, value: float | None, low: float, high: float, *, low_open: bool = False,
                 integer: bool = False) -> float | int | None:
    """`value` if it lies in [low, high] (or (low, high] with `low_open`), else a one-line GymlError.
    None passes through: the option was not given."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise GymlError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GymlError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise GymlError(f"{name} must be a finite number, got {value}")
    if integer and number != int(number):
        raise GymlError(f"{name} must be a whole number, got {value}")
    too_low = number <= low if low_open else number < low
    if too_low or number > high:
        bracket = "(" if low_open else "["
        raise GymlError(f"{name} must lie in {bracket}{_fmt(low)}, {_fmt(high)}], got {_fmt(number)}")
    return int(number) if integer else value


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def check_fps(value: float | None, name: str = "--fps") -> float | None:
    """A frame rate a camera could have produced (None: not given)."""
    return check_number(name, value, MIN_FPS, MAX_FPS)


# The layouts of gyml.pose.layouts.LAYOUTS (named here so that the command line need not import numpy)
LAYOUT_OPTION_HELP = ("keypoint layout of a .npy/.json/.csv file whose keypoint count fits several: "
                      "mediapipe33, coco17, h36m17, body18, body25 or ntu25")


def check_layout(name: str | None) -> str | None:
    """The canonical name of a keypoint layout ('COCO-17' -> 'coco17'); None or blank: not given.
    An unknown name is refused with the known ones."""
    if name is None or not str(name).strip():
        return None
    from gyml.pose.layouts import get_layout

    return get_layout(str(name).strip()[:64]).name


def check_probability(name: str, value: float | None, high: float = 1.0) -> float | None:
    return check_number(name, value, 0.0, high)


def check_count(name: str, value: int | None, low: int = 1, high: int = 1_000_000) -> int | None:
    return check_number(name, value, low, high, integer=True)


def check_frame_count(frames: int, what: str = "the input") -> int:
    """A number of frames claimed by a file (a frame index span, a stored length) within MAX_FRAMES."""
    if frames > MAX_FRAMES:
        raise GymlError(f"{what} claims {frames:,} frames; more than the {MAX_FRAMES:,} gyml reads "
                        "(6 hours at 60 fps)")
    return frames


def check_plain_name(text: str, what: str = "name") -> str:
    """A name that can be a file name on its own: letters, digits, space, '_', '.', '-'; no path."""
    text = text.strip()
    if not _PLAIN_NAME.match(text) or text in (".", "..") or ".." in text:
        raise GymlError(f"{what} '{text}' is not a plain name (letters, digits, '_', '-', '.'; at most 64 "
                        "characters; no folders)")
    return text


def check_exercise(name: str) -> str:
    """The label for an exercise name ('Push-up' -> 'push_up'): the catalog's or one of the person's own
    (`gyml exercises add`); an unknown name is refused with the closest names."""
    from gyml.classify.personal import get_personal, list_personal
    from gyml.synth.catalog import CATALOG, normalize_label

    key = normalize_label(name)
    if key in CATALOG:
        return key
    own = get_personal(name)
    if own is not None:
        return own.label
    names = {label: label for label in CATALOG}
    names.update({normalize_label(spec.name): label for label, spec in CATALOG.items()})
    names.update({ex.label: ex.label for ex in list_personal()})
    close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.5)
    labels = list(dict.fromkeys(names[c] for c in close))
    hint = f"; did you mean {', '.join(labels)}?" if labels else ""
    raise GymlError(f"unknown exercise '{name}'{hint} (`gyml exercises` lists them)")


def check_choice(name: str, value: str, choices: Iterable[str]) -> str:
    choices = tuple(choices)
    if value not in choices:
        raise GymlError(f"unknown {name} '{value}' (choose from {', '.join(choices)})")
    return value


def _resolved(path: Path) -> Path:
    return Path(os.path.abspath(os.path.realpath(path)))


def _same_file(a: Path, b: Path) -> bool:
    if _resolved(a) == _resolved(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs(inputs: Iterable[str | os.PathLike | None], outputs: dict[str, str | os.PathLike | None],
                  folders: dict[str, str | os.PathLike | None] | None = None) -> None:
    """Refuse, before any work, outputs that would destroy an input or each other.

    inputs:  paths read by the command (None entries are ignored).
    outputs: option name -> file path written (None: not asked for).
    folders: option name -> folder written into (created if missing; must not be an input file).
    A file output must not be an input (same file after resolving links), must not share its path with
    another output, must live in an existing folder (not a file) and must not be a folder itself; no
    output's name may be longer than the file system takes.
    """
    from gyml.pose.sequence import output_place_problem, output_target  # it imports this module

    ins = [Path(p) for p in inputs if p is not None]
    seen: dict[Path, str] = {}
    for option, value in outputs.items():
        if value is None:
            continue
        path = Path(value)
        for src in ins:
            if _same_file(path, src):
                raise GymlError(f"{option} {path} is also an input: refusing to overwrite it")
        key = _resolved(path)
        if key in seen:
            raise GymlError(f"{seen[key]} and {option} both write {path}: give them different paths")
        seen[key] = option
        # a name too long for the file system, a folder missing or a file: before looking the path up
        # (an OSError "File name too long" came out of is_dir as an unexpected error)
        problem = output_place_problem(path)
        if problem:
            raise GymlError(f"{option}: {problem}")
        if path.is_dir():
            raise GymlError(f"{option} {path} is a folder; give a file path")
        # where the output is written (gyml.pose.sequence.output_target): a device or pipe (/dev/stdout) in
        # place, so it must itself be writable; else the file a link points to, replaced in its own folder
        target, in_place = output_target(path)
        if in_place:
            if not os.access(target, os.W_OK):
                raise GymlError(f"{option}: {target} is not writable")
            continue
        if target != path:   # a link's file, in its own folder (the path itself was checked above)
            problem = output_place_problem(target)
            if problem:
                raise GymlError(f"{option}: {problem}")
            path = target
        parent = path.parent if str(path.parent) else Path(".")
        if not os.access(parent, os.W_OK):
            raise GymlError(f"{option}: output folder is not writable: {parent}")
    for option, value in (folders or {}).items():
        if value is None:
            continue
        path = Path(value)
        problem = output_place_problem(path, folder=True)   # a name too long; it, or a folder above it, a file
        if problem:
            raise GymlError(f"{option}: {problem}")
        for src in ins:
            if _same_file(path, src):
                raise GymlError(f"{option} {path} is also an input")

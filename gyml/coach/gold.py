"""Gold references: a local library of the user's own, plus built-in ones made from the catalog."""

from __future__ import annotations

import contextlib
import re
from functools import lru_cache
from pathlib import Path

from gyml.errors import GymlError
from gyml.paths import data_home
from gyml.pose.sequence import PoseSequence
from gyml.synth.catalog import CATALOG
from gyml.synth.motion import SynthConfig, synthesize
from gyml.validate import check_exercise, check_plain_name


def library_dir() -> Path:
    """The gold library: gold/ in the user's data folder (gyml.paths.data_home)."""
    return data_home() / "gold"


def _safe_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9_]+", "_", text.strip().lower()).strip("_")
    if not name:
        raise GymlError(f"not a usable name: '{text}'")
    return name


def check_recording(exercise: str, seq: PoseSequence, force: bool = False, what: str = "the recording") -> str:
    """The catalog label of `exercise` after checking that the recording looks like it: the default model
    must rank it among its top three and not recognise a different exercise first. `force` skips the
    look (an exercise the model does not know well, a deliberately unusual reference)."""
    label = check_exercise(exercise)
    if force or label not in CATALOG:  # the default model does not know the person's own exercises
        return label
    from gyml.classify.default import recognise

    prediction = recognise(seq)
    if prediction is None:
        return label
    ranked = [lab for lab, _ in prediction.top]
    # an unsure model (a guess) only needs to rank the exercise among its top three
    if label in ranked and (prediction.label in (label, "unknown") or prediction.guess):
        return label
    looks = CATALOG[prediction.label].name.lower() if prediction.label in CATALOG else prediction.name.lower()
    raise GymlError(f"{what} looks like {looks} ({prediction.confidence:.0%}), not "
                    f"{CATALOG[label].name.lower()}: record a set of {CATALOG[label].name.lower()} or pass --force")


def add(exercise: str, seq: PoseSequence, name: str, force: bool = False) -> Path:
    """Store `seq` as a gold reference of a catalog exercise, under a plain name."""
    label = check_exercise(exercise)
    check_plain_name(name, "gold name")
    check_recording(label, seq, force, f"'{name}'")
    folder = library_dir() / label
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_safe_name(name)}.npz"
    seq.save(path)
    return path


def list_gold() -> dict[str, list[str]]:
    """Each exercise with stored golds and their names; a folder holding none (emptied by hand, or left by
    an older gyml's remove) is not listed."""
    root = library_dir()
    if not root.exists():
        return {}
    found = {d.name: sorted(p.stem for p in d.glob("*.npz")) for d in sorted(root.iterdir()) if d.is_dir()}
    return {exercise: names for exercise, names in found.items() if names}


def remove(exercise: str, name: str | None = None) -> int:
    folder = library_dir() / _safe_name(exercise)
    files = sorted(folder.glob("*.npz")) if name is None else [folder / f"{_safe_name(name)}.npz"]
    files = [f for f in files if f.exists()]
    if not files:
        raise GymlError(f"no gold reference {exercise}{'/' + name if name else ''} in {library_dir()}")
    for f in files:
        f.unlink()
    with contextlib.suppress(OSError):   # its last gold gone, no empty folder is left (rmdir keeps a full one)
        folder.rmdir()
    return len(files)


@lru_cache(maxsize=64)
def builtin(exercise: str) -> PoseSequence | None:
    """The catalog's textbook performance: three clean reps at the catalog tempo and depth."""
    if exercise not in CATALOG or CATALOG[exercise].isometric:
        return None
    seq = synthesize(exercise, reps=3, seed=0, config=SynthConfig(randomize=False, noise_m=0.0))
    seq.metadata["builtin_gold"] = True   # a textbook body, not a person's: the coach judges it differently
    seq.metadata["gold"] = gold_info(exercise, "builtin", "builtin")
    return seq


def is_builtin(seq: PoseSequence) -> bool:
    return bool(seq.metadata.get("builtin_gold"))


def gold_info(exercise: str | None, name: str, source: str) -> dict:
    """What the analysis JSON records about the gold it used (`coach.gold`); source: library, builtin or
    file."""
    return {"exercise": exercise, "name": name, "source": source}


def own(exercise: str) -> PoseSequence | None:
    """The user's own gold for this exercise, if the library has one."""
    folder = library_dir() / _safe_name(exercise)
    files = sorted(folder.glob("*.npz")) if folder.exists() else []
    if not files:
        return None
    seq = PoseSequence.load(files[0])
    seq.metadata["gold"] = gold_info(exercise, files[0].stem, "library")
    return seq


def find(exercise: str) -> PoseSequence | None:
    """The user's own gold for this exercise if there is one, else the built-in one."""
    return own(exercise) or builtin(exercise)

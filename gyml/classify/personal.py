"""A person's own exercises: movements the catalog lacks, learned from a few of their recordings.

Each one is kept in the user's data folder ($GYML_HOME, else the XDG data directory), never in the package:

    exercises/NAME.json   what recognition needs: the examples' features, the match threshold (JSON)
    gold/NAME/*.npz       the recordings themselves, which are also the exercise's gold reference, so the
                          coach compares later sets with them (gyml.coach.gold finds them by name)

Recognition is open-set nearest neighbour on the default model's sequence features (gyml.classify.features
.angle_features), each feature divided by its spread over the synthesised catalog (so that no unit
dominates), the distance being the median feature difference. A recording is the personal exercise when
its distance to the nearest example is under a threshold learned from the examples' own spread (floored,
so that three near-identical takes still leave room for a new day's variation) and smaller than its
distance to synthesised sets of every catalog exercise, which stand in for the negatives a few examples
cannot give.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np

import gyml
from gyml.errors import GymlError
from gyml.paths import data_home
from gyml.pose.sequence import PoseSequence, write_atomically
from gyml.report.analysis import ExercisePrediction

# A recording matches when its distance to the nearest example is under max(SPREAD_FACTOR x the examples'
# own spread, MIN_THRESHOLD). Distances are median absolute differences of features in units of their
# spread over the synthesised catalog. Chosen on RepCount-pose dev (benchmarks/personal_exercise.py
# --choose), never on the UCF101 clips it reports.
SPREAD_FACTOR = 1.5
MIN_THRESHOLD = 0.3
# ... and when it is nearer to the personal examples than MARGIN x its distance to the nearest synthesised
# set of a catalog exercise: the known exercises act as the negatives three examples cannot provide.
MARGIN = 1.25
BACKGROUND_SETS = 4
MAX_EXAMPLES = 20
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
RESERVED = {"unknown", "list", "add", "remove"}


def exercises_dir() -> Path:
    return data_home() / "exercises"


def gold_dir(label: str) -> Path:
    from gyml.coach.gold import library_dir
    return library_dir() / label


def check_name(name: str, force: bool = False) -> str:
    """The stored label for `name`: 'Box Step' -> 'box_step'. Paths, symbols and empty names are refused;
    a catalog exercise's name only with `force` (the person's own version then takes its place)."""
    from gyml.synth.catalog import CATALOG, normalize_label

    text = (name or "").strip()
    if not text:
        raise GymlError("an exercise needs a name, e.g. gyml exercises add box_step take1.mp4 take2.mp4")
    label = normalize_label(text)
    if not _NAME.match(label):
        raise GymlError(f"not a plain exercise name: '{name}' (letters, digits, '_', '-' or spaces, starting "
                        "with a letter, at most 40)")
    if label in RESERVED:
        raise GymlError(f"'{label}' is reserved: choose another name")
    if label in CATALOG and not force:
        raise GymlError(f"'{label}' is a catalog exercise: choose another name, or pass --force to use your "
                        "own recordings for it instead")
    return label


@dataclass
class PersonalExercise:
    label: str
    name: str
    features: np.ndarray            # (examples, features) the examples' sequence features
    feature_names: list[str]
    threshold: float
    spread: float
    examples: list[str]             # file names of the recordings in the gold library
    sources: list[str] = field(default_factory=list)
    created: str = ""
    fingerprint: str = ""

    def to_dict(self) -> dict:
        return {"gyml_version": gyml.__version__, "label": self.label, "name": self.name,
                "threshold": self.threshold, "spread": self.spread, "feature_names": self.feature_names,
                "features": np.round(self.features.astype(float), 6).tolist(), "examples": self.examples,
                "sources": self.sources, "created": self.created, "fingerprint": self.fingerprint}

    @classmethod
    def from_dict(cls, d: dict) -> PersonalExercise:
        features = np.asarray(d["features"], dtype=np.float64)
        if features.ndim != 2 or not np.isfinite(features).all():
            raise ValueError("features are not a finite table")
        return cls(str(d["label"]), str(d["name"]), features, [str(n) for n in d["feature_names"]],
                   float(d["threshold"]), float(d["spread"]), [str(e) for e in d["examples"]],
                   [str(s) for s in d.get("sources", [])], str(d.get("created", "")),
                   str(d.get("fingerprint", "")))


@dataclass
class PersonalPrediction(ExercisePrediction):
    """A recording recognised as one of the person's own exercises: the confidence is a match score (1 at
    an example, 0.5 at the threshold), not a calibrated probability."""
    distance: float = 0.0
    threshold: float = 0.0

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["personal"] = {"distance": round(self.distance, 4), "threshold": round(self.threshold, 4)}
        return out


# ------------------------------------------------------------------------------------------------------
# Features and the matcher (pure functions on arrays)

def feature_names() -> list[str]:
    from gyml.classify.features import angle_feature_names
    return angle_feature_names()


@lru_cache(maxsize=1)
def features_fingerprint() -> str:
    """Which features these are: their names and their values on a fixed synthesised set, hashed. Stored
    features made by another gyml, or by features computed differently under the same names, are made
    again from the recordings."""
    from gyml.synth.motion import SynthConfig, synthesize

    probe = sequence_features(synthesize("squat", 3, seed=0, config=SynthConfig(randomize=False, noise_m=0.0)))
    text = json.dumps([gyml.__version__, feature_names(), np.round(probe, 3).tolist()])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def sequence_features(seq: PoseSequence, kinematics=None, reps=None) -> np.ndarray:
    """The default model's features (`kinematics`, `reps`: the sequence's, when already derived)."""
    from gyml.classify.features import angle_features
    return np.asarray(angle_features(seq, kinematics=kinematics, reps=reps), dtype=np.float64)


@dataclass
class Background:
    """Synthesised sets of every catalog exercise: the scale of each feature (its spread over them, so that
    degrees, ratios and correlations weigh alike) and the known exercises a personal match must beat."""
    scale: np.ndarray       # (features,)
    features: np.ndarray    # (sets, features)
    labels: np.ndarray      # (sets,) catalog labels

    def without(self, label: str) -> np.ndarray:
        return self.features[self.labels != label]


_BACKGROUNDS: dict[tuple, Background] = {}


def _synthesise_background(names: tuple[str, ...], progress=None) -> Background:
    """`progress(done, total)` is told after each synthesised set."""
    from gyml.synth.catalog import CATALOG
    from gyml.synth.motion import synthesize

    key = (names, BACKGROUND_SETS)
    if key in _BACKGROUNDS:
        return _BACKGROUNDS[key]
    plan = [(k, label) for k, (label, spec) in enumerate(CATALOG.items()) if not spec.isometric]
    rows, labels = [], []
    for k, label in plan:
        for seed in range(BACKGROUND_SETS):
            rows.append(sequence_features(synthesize(label, 3 + seed % 4, seed=1000 * k + seed)))
            labels.append(label)
            if progress is not None:
                progress(len(rows), len(plan) * BACKGROUND_SETS)
    X = np.stack(rows)
    spread = np.percentile(X, 90, axis=0) - np.percentile(X, 10, axis=0)
    scale = np.maximum(spread, 1e-3 * (np.abs(X).mean(axis=0) + 1.0))
    _BACKGROUNDS[key] = Background(scale, X, np.array(labels))
    return _BACKGROUNDS[key]


def catalog_background(progress=None) -> Background:
    """The catalog background, kept in the data folder (it takes a minute to synthesise, reported to
    `progress(done, total)`) and made again when gyml or its features change."""
    names = feature_names()
    cache = exercises_dir() / "catalog_background.npz"
    try:
        with np.load(cache, allow_pickle=False) as data:
            if str(data["fingerprint"]) == features_fingerprint():
                bg = Background(data["scale"].astype(np.float64), data["features"].astype(np.float64),
                                data["labels"].astype(str))
                if bg.scale.shape == (len(names),) and bg.features.shape[1:] == (len(names),) and \
                        np.isfinite(bg.features).all() and (bg.scale > 0).all():
                    return bg
    except (OSError, ValueError, KeyError):
        pass
    bg = _synthesise_background(tuple(names), progress)
    cache.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(cache, lambda fh: np.savez_compressed(
        fh, fingerprint=np.str_(features_fingerprint()), feature_names=np.array(names), scale=bg.scale,
        features=bg.features, labels=bg.labels.astype(str)))
    return bg


def feature_scale() -> np.ndarray:
    return catalog_background().scale


def distances(x: np.ndarray, examples: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The median absolute difference, in units of `scale`, between a feature vector and each example. The
    median, not the mean: on real video a few features go astray (a joint hidden, a shot cut) and the mean
    follows them (on RepCount dev the mean separated an exercise from the others with an ROC AUC of 0.73,
    the median 0.87)."""
    return np.median(np.abs((examples - x[None]) / scale[None]), axis=1)


def own_spread(examples: np.ndarray, scale: np.ndarray) -> float:
    """How far each example lies from its nearest other example (mean): how much the person varies."""
    if len(examples) < 2:
        return 0.0
    nearest = [np.delete(distances(examples[i], examples, scale), i).min() for i in range(len(examples))]
    return float(np.mean(nearest))


def learned_threshold(spread: float, factor: float = SPREAD_FACTOR, floor: float = MIN_THRESHOLD) -> float:
    return max(factor * spread, floor)


def match_score(distance: float, threshold: float) -> float:
    return float(np.clip(1.0 - 0.5 * distance / max(threshold, 1e-9), 0.0, 1.0))


# ------------------------------------------------------------------------------------------------------
# The library in the data folder

def _json_path(label: str) -> Path:
    return exercises_dir() / f"{label}.json"


def _load(path: Path) -> PersonalExercise:
    try:
        return PersonalExercise.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GymlError(f"{path}: not a readable personal exercise ({exc}); remove it with "
                        f"`gyml exercises remove {path.stem}`") from None


def _example_paths(ex: PersonalExercise) -> list[Path]:
    return [gold_dir(ex.label) / name for name in ex.examples]


def _refreshed(ex: PersonalExercise) -> PersonalExercise:
    """When the default model's features change (a new gyml), recompute them from the stored recordings."""
    if ex.fingerprint == features_fingerprint():
        return ex
    seqs = [PoseSequence.load(p) for p in _example_paths(ex) if p.exists()]
    if not seqs:
        raise GymlError(f"personal exercise '{ex.label}': its recordings are gone from {gold_dir(ex.label)}; "
                        f"add it again")
    fresh = learn(ex.label, ex.name, seqs)
    fresh.examples, fresh.sources, fresh.created = ex.examples, ex.sources, ex.created
    _save(fresh)
    return fresh


def _save(ex: PersonalExercise) -> Path:
    path = _json_path(ex.label)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(ex.to_dict(), indent=1)
    write_atomically(path, lambda fh: fh.write(text), mode="w")
    return path


def list_personal() -> list[PersonalExercise]:
    folder = exercises_dir()
    if not folder.exists():
        return []
    return [_load(p) for p in sorted(folder.glob("*.json"))]


def get_personal(name: str) -> PersonalExercise | None:
    from gyml.synth.catalog import normalize_label

    label = normalize_label(name or "")
    if not _NAME.match(label):
        return None
    path = _json_path(label)
    return _load(path) if path.exists() else None


def learn(label: str, name: str, seqs: list[PoseSequence], counts: list | None = None) -> PersonalExercise:
    """The matcher for one exercise from its example recordings (no storage); `counts`: their reps by the
    default counter, when already counted."""
    scale = feature_scale()
    X = np.stack([sequence_features(s, reps=c) for s, c in zip(seqs, counts or [None] * len(seqs))])
    spread = own_spread(X, scale)
    return PersonalExercise(label, name, X, feature_names(), learned_threshold(spread), spread, [],
                            fingerprint=features_fingerprint())


def add(name: str, seqs: list[PoseSequence], sources: list[str], force: bool = False, progress=None
        ) -> PersonalExercise:
    """Learn and store a personal exercise; its recordings become its gold reference. `progress(done,
    total)` follows the one-off synthesis of the catalog background."""
    from gyml.reps.counter import count_reps

    label = check_name(name, force)
    if not seqs:
        raise GymlError("give at least one recording of the exercise (three or more recognise it best)")
    if len(seqs) > MAX_EXAMPLES:
        raise GymlError(f"at most {MAX_EXAMPLES} recordings per exercise, got {len(seqs)}")
    if _json_path(label).exists() and not force:
        raise GymlError(f"you already have an exercise '{label}': remove it first (gyml exercises remove "
                        f"{label}) or pass --force to replace it")
    counts = []
    for seq, source in zip(seqs, sources):
        if not seq.present.any():
            raise GymlError(f"{source}: no person found in any frame")
        counts.append(count_reps(seq))
        if counts[-1].count < 1:
            raise GymlError(f"{source}: no repetitions found; record a few reps of the movement")
    catalog_background(progress)
    ex = learn(label, name.strip(), seqs, counts)
    if _json_path(label).exists():
        remove(label)
    folder = gold_dir(label)
    folder.mkdir(parents=True, exist_ok=True)
    taken = {p.name for p in folder.glob("*.npz")}
    names = []
    for i, seq in enumerate(seqs, 1):
        file = next(f"personal_{i:02d}{'' if k == 0 else f'_{k}'}.npz" for k in range(1000)
                    if f"personal_{i:02d}{'' if k == 0 else f'_{k}'}.npz" not in taken)
        taken.add(file)
        seq.save(folder / file)
        names.append(file)
    ex.examples, ex.sources = names, [str(s) for s in sources]
    ex.created = datetime.now(UTC).isoformat(timespec="seconds")
    _save(ex)
    return ex


def remove(name: str) -> PersonalExercise:
    """Forget a personal exercise: its matcher and the recordings it stored as gold."""
    from gyml.synth.catalog import normalize_label

    label = normalize_label(name or "")
    if not _NAME.match(label):
        raise GymlError(f"not a plain exercise name: '{name}'")
    path = _json_path(label)
    if not path.exists():
        known = ", ".join(e.label for e in list_personal()) or "none"
        raise GymlError(f"no personal exercise '{label}' (yours: {known})")
    try:
        ex = _load(path)
        files = _example_paths(ex)
    except GymlError:
        ex, files = None, []
    for f in files:
        f.unlink(missing_ok=True)
    folder = gold_dir(label)
    if folder.exists() and not any(folder.iterdir()):
        folder.rmdir()
    path.unlink()
    return ex or PersonalExercise(label, label, np.zeros((0, 0)), [], 0.0, 0.0, [])


# ------------------------------------------------------------------------------------------------------
# Recognition hook

def match(features: np.ndarray, exercises: list[PersonalExercise], background: Background,
          margin: float = MARGIN) -> tuple[PersonalExercise, float] | None:
    """The personal exercise whose threshold the recording passes by the widest margin, with its distance;
    it must also be nearer than any catalog exercise's synthesised sets (but those of its own name, when
    the person's version replaces a catalog exercise)."""
    best = None
    for ex in exercises:
        d = float(distances(features, ex.features, background.scale).min())
        known = background.without(ex.label)
        if len(known) and d >= margin * float(distances(features, known, background.scale).min()):
            continue
        if d < ex.threshold and (best is None or d / ex.threshold < best[1] / best[0].threshold):
            best = (ex, d)
    return best


def recognise_personal(seq: PoseSequence, exercise: str | None = None, kinematics=None, reps=None
                       ) -> ExercisePrediction | None:
    """The person's own exercise when the user named one (`--exercise`) or the recording matches one;
    None otherwise (and at no cost when the person has none). `kinematics`, `reps`: the sequence's, when
    the caller has derived them."""
    if exercise:
        ex = get_personal(exercise)
        return ExercisePrediction(ex.label, ex.name, 1.0, [(ex.label, 1.0)]) if ex else None
    stored = list_personal()
    if not stored:
        return None
    stored = [_refreshed(ex) for ex in stored]
    found = match(sequence_features(seq, kinematics, reps), stored, catalog_background())
    if found is None:
        return None
    ex, d = found
    score = match_score(d, ex.threshold)
    return PersonalPrediction(ex.label, ex.name, score, [(ex.label, score)], distance=d, threshold=ex.threshold)

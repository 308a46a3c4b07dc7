"""A person's own exercises: movements the catalog lacks, learned from a few of their recordings.

Each one is kept in the user's data folder ($GYML_HOME, else the XDG data directory), never in the package:

    exercises/NAME.json   what recognition needs: the examples' motion features and the default model's
                          view of each (plain JSON numbers)
    gold/NAME/*.npz       the recordings themselves, which are also the exercise's gold reference, so the
                          coach compares later sets with them (gyml.coach.gold finds them by name)

Recognition asks whether a new recording is the same exercise as the examples, from four measures: how far
the default model's view of it (its probabilities over the exercises it knows) lies from its view of the
examples (an exercise it never learned still gives a pattern of its own over the known ones, which a few
examples pin down); how far its posture (trunk inclination, hand and hip height) and its motion features
(gyml.classify.features.motion_features, each in units of its spread over synthesised catalog sets) lie from
the nearest example; and how sure the default model is that it is one of the exercises it knows. A logistic
verifier weighs them; its weights and threshold were learned on UCF101 classes held out of the default model
(benchmarks/personal_exercise.py --fit), i.e. on OTHER exercises than the person's, which three examples
could never provide.
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

# The verifier: P(same exercise) = sigmoid(INTERCEPT + COEF . log(measures + 1e-3)), measures = (view distance,
# posture gap, motion distance, the default model's top probability); accepted above ACCEPT_ABOVE. Fitted by
# `python benchmarks/personal_exercise.py --fit` on every UCF101 class held out of the default model in
# turn (the threshold keeps false accepts at or under 0.04 there); the benchmark itself reports the rule
# chosen without the class it measures. Fit again when the default model's recipe changes.
VERIFIER_COEF = (-4.176, -1.073, -1.498, -4.269)
VERIFIER_INTERCEPT = -9.659
ACCEPT_ABOVE = 0.63
POSTURE = ("trunk_inclination:median", "hand_height:median", "hip_height:median")
MATCHER = "view+posture+motion v2"
BACKGROUND_SETS = 4
MAX_EXAMPLES = 20
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
RESERVED = {"unknown", "list", "add", "remove"}


def exercises_dir() -> Path:
    return data_home() / "exercises"


def background_path(exercises: Path | None = None) -> Path:
    """Where the catalog background is kept in an exercises folder (default: this data folder's)."""
    return (exercises if exercises is not None else exercises_dir()) / "catalog_background.npz"


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
    features: np.ndarray            # (examples, features) the examples' motion features
    feature_names: list[str]
    view: np.ndarray                # (examples, classes) the default model's probabilities for each example
    view_classes: list[str]         # the default model's classes, in the order of `view`'s columns
    examples: list[str]             # file names of the recordings in the gold library
    sources: list[str] = field(default_factory=list)
    created: str = ""
    fingerprint: str = ""
    hold: bool = False              # held still (timed and coached over time), not repeated

    def to_dict(self) -> dict:
        return {"gyml_version": gyml.__version__, "label": self.label, "name": self.name, "hold": self.hold,
                "matcher": MATCHER, "feature_names": self.feature_names,
                "features": np.round(self.features.astype(float), 6).tolist(),
                "view_classes": self.view_classes, "view": np.round(self.view.astype(float), 6).tolist(),
                "examples": self.examples, "sources": self.sources, "created": self.created,
                "fingerprint": self.fingerprint}

    @classmethod
    def from_dict(cls, d: dict) -> PersonalExercise:
        """Plain JSON numbers and strings only. A file written by an older gyml (without the model's view)
        loads with an empty view and a stale fingerprint, so it is made again from its recordings."""
        features = np.asarray(d["features"], dtype=np.float64)
        if features.ndim != 2 or not np.isfinite(features).all():
            raise ValueError("features are not a finite table")
        view = np.asarray(d.get("view", np.zeros((len(features), 0))), dtype=np.float64)
        classes = [str(c) for c in d.get("view_classes", [])]
        if view.ndim != 2 or view.shape != (len(features), len(classes)) or not np.isfinite(view).all():
            raise ValueError("the model's view is not a finite table, one row per example")
        fingerprint = str(d.get("fingerprint", "")) if d.get("matcher") == MATCHER else ""
        return cls(str(d["label"]), str(d["name"]), features, [str(n) for n in d["feature_names"]], view,
                   classes, [str(e) for e in d["examples"]], [str(s) for s in d.get("sources", [])],
                   str(d.get("created", "")), fingerprint, d.get("hold") is True)


@dataclass
class PersonalPrediction(ExercisePrediction):
    """A recording recognised as one of the person's own exercises: the confidence is the verifier's
    score (trained with balanced classes, so not a calibrated probability)."""
    score: float = 0.0
    threshold: float = ACCEPT_ABOVE
    distance: float = 0.0       # the default model's view, total variation from the examples' mean view

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["personal"] = {"score": round(self.score, 4), "threshold": round(self.threshold, 4),
                           "distance": round(self.distance, 4)}
        return out


# ------------------------------------------------------------------------------------------------------
# Features and the matcher (pure functions on arrays)

def feature_names() -> list[str]:
    from gyml.classify.features import motion_feature_names
    return motion_feature_names()


def posture_columns() -> list[int]:
    names = feature_names()
    return [names.index(n) for n in POSTURE]


@lru_cache(maxsize=1)
def features_fingerprint() -> str:
    """Which features and which default model these are: the feature names, the matcher and the features
    and the model's view of a fixed synthesised set, hashed. Stored features made by another gyml, by
    features computed differently under the same names, or seen by another default model, are made again
    from the recordings."""
    from gyml.synth.motion import SynthConfig, synthesize

    features, view, classes = describe(synthesize("squat", 3, seed=0, config=SynthConfig(randomize=False,
                                                                                        noise_m=0.0)))
    text = json.dumps([gyml.__version__, MATCHER, feature_names(), np.round(features, 3).tolist(), classes,
                       np.round(view, 3).tolist()])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def sequence_features(seq: PoseSequence, kinematics=None) -> np.ndarray:
    """The default model's motion features (`kinematics`: the sequence's, when already derived)."""
    from gyml.classify.features import motion_features
    return np.asarray(motion_features(seq, kinematics), dtype=np.float64)


def model_view(seq: PoseSequence, motion: np.ndarray, kinematics=None) -> tuple[np.ndarray, list[str]]:
    """The default model's probabilities for one recording, and its classes (`motion`: the recording's
    motion features, reused when the model reads those)."""
    from gyml.classify.default import load_model, model_features

    model = load_model()
    X = motion[None].astype(np.float32) if model.features == "motion" else model_features(model, seq, kinematics)
    proba = model.predict_proba(X)[0]
    return np.asarray(proba, dtype=np.float64), [str(c) for c in model.estimator.classes_]


def describe(seq: PoseSequence, kinematics=None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(motion features, the default model's view, its classes) of one recording."""
    features = sequence_features(seq, kinematics)
    view, classes = model_view(seq, features, kinematics)
    return features, view, classes


@dataclass
class Background:
    """Synthesised sets of every catalog exercise: the scale of each feature (its spread over them, so that
    degrees, ratios and correlations weigh alike)."""
    scale: np.ndarray       # (features,)
    features: np.ndarray    # (sets, features)
    labels: np.ndarray      # (sets,) catalog labels


_BACKGROUNDS: dict[tuple, Background] = {}
_LOADED: dict[tuple, Background] = {}


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
    _BACKGROUNDS[key] = Background(spread_scale(X), X, np.array(labels))
    return _BACKGROUNDS[key]


def spread_scale(X: np.ndarray) -> np.ndarray:
    """Each column's 10-90 percentile spread, floored so that a constant column cannot divide by zero."""
    spread = np.percentile(X, 90, axis=0) - np.percentile(X, 10, axis=0)
    return np.maximum(spread, 1e-3 * (np.abs(X).mean(axis=0) + 1.0))


def catalog_background(progress=None) -> Background:
    """The catalog background, kept in the data folder (it takes a minute to synthesise, reported to
    `progress(done, total)`) and made again when gyml or its features change."""
    names = feature_names()
    cache = background_path()
    try:
        key = (str(cache), cache.stat().st_mtime_ns, features_fingerprint())
        if key in _LOADED:     # read once per process: an analysis should not reload it from disk
            return _LOADED[key]
        with np.load(cache, allow_pickle=False) as data:
            if str(data["fingerprint"]) == features_fingerprint():
                bg = Background(data["scale"].astype(np.float64), data["features"].astype(np.float64),
                                data["labels"].astype(str))
                if bg.scale.shape == (len(names),) and bg.features.shape[1:] == (len(names),) and \
                        np.isfinite(bg.features).all() and (bg.scale > 0).all():
                    _LOADED[key] = bg
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


def measures(features: np.ndarray, view: np.ndarray, example_features: np.ndarray, example_view: np.ndarray,
             scale: np.ndarray, posture: list[int]) -> np.ndarray:
    """The verifier's four measures of a recording against an exercise's examples: (total variation between
    the default model's view of it and the examples' mean view; the largest posture gap to the nearest
    example in units of `scale`; the motion-feature distance to the nearest example; the default model's
    top probability)."""
    view_gap = 0.5 * float(np.abs(view - example_view.mean(axis=0)).sum())
    gaps = np.abs((example_features[:, posture] - features[posture][None]) / scale[posture][None])
    return np.array([view_gap, float(gaps.max(axis=1).min()),
                     float(distances(features, example_features, scale).min()), float(view.max())])


def verifier_score(m: np.ndarray, coef=VERIFIER_COEF, intercept: float = VERIFIER_INTERCEPT) -> np.ndarray:
    """P(same exercise) for measures `m` ((4,) or (n, 4)) by the logistic verifier."""
    z = intercept + np.log(np.asarray(m, dtype=np.float64) + 1e-3) @ np.asarray(coef, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-z))


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
    """When the features or the default model change (a new gyml), recompute them from the stored
    recordings."""
    if ex.fingerprint == features_fingerprint():
        return ex
    seqs = [PoseSequence.load(p) for p in _example_paths(ex) if p.exists()]
    if not seqs:
        raise GymlError(f"personal exercise '{ex.label}': its recordings are gone from {gold_dir(ex.label)}; "
                        f"add it again")
    fresh = learn(ex.label, ex.name, seqs)
    fresh.examples, fresh.sources, fresh.created, fresh.hold = ex.examples, ex.sources, ex.created, ex.hold
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


def learn(label: str, name: str, seqs: list[PoseSequence]) -> PersonalExercise:
    """The matcher for one exercise from its example recordings (no storage): their motion features and the
    default model's view of each."""
    described = [describe(s) for s in seqs]
    X = np.stack([d[0] for d in described])
    view = np.stack([d[1] for d in described])
    return PersonalExercise(label, name, X, feature_names(), view, described[0][2], [],
                            fingerprint=features_fingerprint())


def add(name: str, seqs: list[PoseSequence], sources: list[str], force: bool = False, progress=None,
        hold: bool | None = None) -> PersonalExercise:
    """Learn and store a personal exercise; its recordings become its gold reference. `progress(done,
    total)` follows the one-off synthesis of the catalog background. `hold`: the exercise is held still
    (timed, not counted), or repeated; by default a hold when every recording is held still and one of them
    has no rep in it (a hold's sway can read as a rep or two)."""
    from gyml.coach.holds import MIN_HOLD_S, held_still
    from gyml.reps.counter import count_reps

    label = check_name(name, force)
    if not seqs:
        raise GymlError("give at least one recording of the exercise (three or more recognise it best)")
    if len(seqs) > MAX_EXAMPLES:
        raise GymlError(f"at most {MAX_EXAMPLES} recordings per exercise, got {len(seqs)}")
    if _json_path(label).exists() and not force:
        raise GymlError(f"you already have an exercise '{label}': remove it first (gyml exercises remove "
                        f"{label}) or pass --force to replace it")
    held, counts = [], []
    for seq, source in zip(seqs, sources):
        if not seq.present.any():
            raise GymlError(f"{source}: no person found in any frame")
        held.append(held_still(seq))
        counts.append(count_reps(seq).count)
    if hold is None:
        hold = all(held) and min(counts) == 0
    for source, still, count in zip(sources, held, counts):
        if hold and not still:
            raise GymlError(f"{source}: not held still for {MIN_HOLD_S:.0f} s or more; give recordings of one "
                            f"kind, all holds or all reps")
        if not hold and count < 1:
            raise GymlError(f"{source}: no repetitions found; record a few reps of the movement"
                            + ("" if still else f", or hold the position for {MIN_HOLD_S:.0f} s or more"))
    catalog_background(progress)
    shown = name.strip().replace("_", " ")
    ex = learn(label, shown[:1].upper() + shown[1:], seqs)
    ex.hold = hold
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
    return ex or PersonalExercise(label, label, np.zeros((0, 0)), [], np.zeros((0, 0)), [], [])


# ------------------------------------------------------------------------------------------------------
# Recognition hook

def match(features: np.ndarray, view: np.ndarray, classes: list[str], exercises: list[PersonalExercise],
          scale: np.ndarray) -> tuple[PersonalExercise, float, float] | None:
    """The personal exercise the verifier scores highest above ACCEPT_ABOVE, with its score and view
    distance. A person's own version of an exercise the default model knows (added with --force) is also
    taken when the model names that exercise first."""
    posture = posture_columns()
    best = None
    for ex in exercises:
        if ex.view_classes != classes:   # made by another default model: _refreshed prevents this
            continue
        m = measures(features, view, ex.features, ex.view, scale, posture)
        score = float(verifier_score(m))
        if ex.label in classes and classes[int(np.argmax(view))] == ex.label:
            score = max(score, float(view.max()), ACCEPT_ABOVE)
        if score >= ACCEPT_ABOVE and (best is None or score > best[1]):
            best = (ex, score, float(m[0]))
    return best


def recognise_personal(seq: PoseSequence, exercise: str | None = None, kinematics=None, reps=None
                       ) -> ExercisePrediction | None:
    """The person's own exercise when the user named one (`--exercise`) or the recording matches one;
    None otherwise (and at no cost when the person has none). `kinematics`: the sequence's, when the
    caller has derived them (`reps` is accepted for the caller's symmetry with the default model)."""
    if exercise:
        ex = get_personal(exercise)
        return ExercisePrediction(ex.label, ex.name, 1.0, [(ex.label, 1.0)], named=True) if ex else None
    stored = list_personal()
    if not stored:
        return None
    from gyml.coach.holds import held_still

    # a hold of the person's is matched only by a recording held still (a set that moves is not a hold;
    # an arm-only movement can read as still, so reps are matched either way)
    still = held_still(seq) if any(ex.hold for ex in stored) else False
    stored = [_refreshed(ex) for ex in stored if not ex.hold or still]
    if not stored:
        return None
    features, view, classes = describe(seq, kinematics)
    found = match(features, view, classes, stored, feature_scale())
    if found is None:
        return None
    ex, score, distance = found
    return PersonalPrediction(ex.label, ex.name, score, [(ex.label, score)], score=score, distance=distance)

"""Exercise classifiers with scikit-learn manners, and safe model files (skops + JSON metadata)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import gyml
from gyml.classify.neighbors import DTWNeighbors
from gyml.classify.pca import ChunkedPCA, SpanLinearClassifier
from gyml.errors import GymlError
from gyml.pose.sequence import write_atomically

MODELS = ("multinomial", "ovr", "trees", "knn", "knn_dtw")
# scikit-learn types that skops does not trust by default but a model file of ours holds: listed, they are
# trusted in the same pass that loads the file (finding them first, by a scan, cost 0.4 s of a 27 MB model).
FAST_TRUSTED = ("sklearn.tree._tree.Tree",)
OUR_TYPES = ("gyml.classify.pca.ChunkedPCA", "gyml.classify.pca.SpanLinearClassifier",
             "gyml.classify.neighbors.DTWNeighbors", "gyml.classify.sensor_blend.SensorBlend",
             "gyml.classify.rep_neighbors.RepNeighbors")


def make_estimator(model: str = "multinomial", pca: float | None = 0.75, scale: bool = False,
                   max_iter: int = 300, seed: int = 0, wide: bool = False) -> Pipeline:
    """[scaling] -> [PCA keeping `pca` of the variance] -> logistic regression (the paper's) or trees."""
    steps = []
    if model == "knn_dtw":
        # DTW compares the curves step by step: no scaling or PCA in between (it standardises each channel)
        scale, pca = False, None
    if scale:
        steps.append(("scale", StandardScaler()))
    if pca is not None:
        steps.append(("pca", ChunkedPCA(variance=pca)))
    if wide and pca is None and model in ("multinomial", "ovr"):
        # Far more features than samples (the paper's padded SMPL vectors): the same model, solved exactly
        # in the span of the samples.
        clf = SpanLinearClassifier(model, max_iter=max_iter, seed=seed)
    elif model == "multinomial":
        clf = LogisticRegression(solver="saga", max_iter=max_iter, tol=1e-3, random_state=seed)
    elif model == "trees":
        # Extremely randomised trees: on real video they generalise from synthesised training motion
        # better than a linear model (benchmarks/classify_real.py), and they need no scaling.
        clf = ExtraTreesClassifier(n_estimators=200, min_samples_leaf=2, random_state=seed, n_jobs=-1)
    elif model == "knn":
        # The classic time-series baseline: the label of the nearest training example.
        clf = KNeighborsClassifier(n_neighbors=1)
    elif model == "knn_dtw":
        # the label of the nearest training rep curve once the two are warped onto each other
        clf = DTWNeighbors(n_neighbors=1)
    elif model == "ovr":
        clf = OneVsRestClassifier(LogisticRegression(solver="saga", max_iter=max_iter, tol=1e-3,
                                                     random_state=seed))
    else:
        raise GymlError(f"unknown model '{model}' (choose from {', '.join(MODELS)})")
    steps.append(("clf", clf))
    return Pipeline(steps)


@dataclass
class ExerciseModel:
    """A fitted estimator with what it needs to be used again: labels, feature settings, version."""

    estimator: Pipeline
    labels: list[str]
    names: dict[str, str]
    features: str
    settings: dict = field(default_factory=dict)
    # Estimators for input from one sensor (PoseSequence.source, e.g. "repcount"), fitted on the same
    # classes with that sensor's own recordings weighted up; other input goes to `estimator`.
    by_sensor: dict[str, Pipeline] = field(default_factory=dict)
    # A model file's sensor estimators, not yet loaded: most analyses never meet that sensor, and loading
    # one costs about half a second (each is read from the file and loaded, safely, on first use).
    sensor_payloads: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    source: Path | None = field(default=None, repr=False)

    @property
    def sensors(self) -> list[str]:
        return sorted(set(self.by_sensor) | set(self.sensor_payloads))

    def estimator_for(self, sensor: str | None) -> Pipeline:
        if sensor and sensor not in self.by_sensor and sensor in self.sensor_payloads:
            self.by_sensor[sensor] = _load_estimator(self.sensor_payloads[sensor],
                                                     self.source or Path("model file"))
        return self.by_sensor.get(sensor, self.estimator) if sensor else self.estimator

    def predict_proba(self, X: np.ndarray, sensor: str | None = None) -> np.ndarray:
        return estimator_proba(self.estimator_for(sensor), X)

    def save(self, path: str | Path) -> Path:
        import skops.io as sio

        meta = {"gyml_version": gyml.__version__, "labels": self.labels, "names": self.names,
                "features": self.features, "settings": self.settings, "sensors": self.sensors}
        payload = sio.dumps(self.estimator)
        by_sensor = {sensor: self.sensor_payloads[sensor] for sensor in self.sensor_payloads
                     if sensor not in self.by_sensor}
        by_sensor.update({sensor: sio.dumps(estimator) for sensor, estimator in self.by_sensor.items()})

        def write(fh):
            with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr("gyml_model.json", json.dumps(meta, indent=1))
                zf.writestr("estimator.skops", payload)
                for sensor, data in by_sensor.items():
                    zf.writestr(f"estimator.{sensor}.skops", data)

        write_atomically(Path(path), write)
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> ExerciseModel:

        path = Path(path)
        try:
            with zipfile.ZipFile(path) as zf:
                meta = json.loads(zf.read("gyml_model.json"))
                payload = zf.read("estimator.skops")
                sensors = [str(s) for s in meta.get("sensors", [])]
                if any(not s.isidentifier() for s in sensors):
                    raise GymlError(f"{path.name}: not a gyml model file (sensor names {sensors})")
                by_sensor = SensorPayloads(path, {s: zf.getinfo(f"estimator.{s}.skops") for s in sensors})
        except FileNotFoundError:
            raise GymlError(f"no such model file: {path}") from None
        except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, OSError):
            raise GymlError(f"{path.name}: not a gyml model file") from None
        if meta.get("gyml_version") != gyml.__version__:
            raise GymlError(f"{path.name} was made by gyml {meta.get('gyml_version')}, this is gyml "
                            f"{gyml.__version__}: retrain it with `gyml train`")
        estimator = _load_estimator(payload, path)
        return cls(estimator, list(meta["labels"]), dict(meta["names"]), meta["features"], meta.get("settings", {}),
                   sensor_payloads=by_sensor, source=path)


class SensorPayloads(Mapping):
    """A model file's sensor estimators (skops payloads) by sensor, each read from the file when asked for:
    read at load, the RepCount forest's cost every analysis 0.35 s and 130 MB held in memory. The file
    must be the one loaded: a member whose size or checksum changed since is refused."""

    def __init__(self, path: Path, members: dict[str, zipfile.ZipInfo]):
        self.path, self._members = path, members

    def __getitem__(self, sensor: str) -> bytes:
        loaded = self._members[sensor]
        try:
            with zipfile.ZipFile(self.path) as zf:
                info = zf.getinfo(loaded.filename)
                if (info.CRC, info.file_size) != (loaded.CRC, loaded.file_size):
                    raise KeyError(loaded.filename)
                return zf.read(info)
        except (OSError, KeyError, zipfile.BadZipFile):
            raise GymlError(f"{self.path.name} changed or went away since it was loaded: load it again") from None

    def __iter__(self):
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)


def estimator_proba(estimator, X: np.ndarray) -> np.ndarray:
    """`estimator.predict_proba(X)`; for a forest and one recording at a time (an analysis), the trees' own
    average, without the forest's parallel dispatch, which costs several times what 200 small trees take."""
    forest = estimator.steps[-1][1] if len(getattr(estimator, "steps", ())) == 1 else estimator
    if isinstance(forest, (ExtraTreesClassifier, RandomForestClassifier)) and len(X) <= 4:
        rows = np.asarray(X, dtype=np.float32)
        return sum(tree.predict_proba(rows, check_input=False) for tree in forest.estimators_) / len(
            forest.estimators_)
    return estimator.predict_proba(X)


def single_threaded(estimator):
    """Every nested `n_jobs` set to 1: one recording at a time, threads cost more to start than they save."""
    estimator.set_params(**{key: 1 for key in estimator.get_params(deep=True) if key.endswith("n_jobs")})
    return estimator


def _load_estimator(payload: bytes, path: Path):
    """A skops payload, loaded only if it holds scikit-learn's and numpy's types and our own estimators
    (plain arrays; no code of theirs runs on load)."""
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:   # the types the shipped model and `gyml train`'s forests hold: one pass over the file, not two
        return sio.loads(payload, trusted=[*FAST_TRUSTED, *OUR_TYPES])
    except UntrustedTypesFoundException:
        pass
    trusted = sio.get_untrusted_types(data=payload)
    allowed = [t for t in trusted if t.startswith(("sklearn.", "numpy.")) or t in OUR_TYPES]
    if set(trusted) - set(allowed):
        raise GymlError(f"{path.name}: model file holds types that are not scikit-learn's: "
                        f"{sorted(set(trusted) - set(allowed))}")
    return sio.loads(payload, trusted=allowed)

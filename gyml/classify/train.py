"""Training and evaluation: the paper's approaches and ours, with the metrics of the paper's Table 1."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from gyml.classify.datasets import Dataset, split_indices
from gyml.classify.features import build_features
from gyml.classify.model import ExerciseModel, make_estimator
from gyml.errors import GymlError

KAPPAS = (0.25, 0.5, 0.7, 0.75, 0.95)
PAPER_PCA = 0.75   # the paper's kappa: the share of variance its PCA keeps of the padded SMPL vectors


@dataclass
class TrainResult:
    model: ExerciseModel
    seconds: float
    n_features: int
    metrics: dict


def metrics(y_true, y_pred, labels) -> dict:
    out = {"accuracy": float(accuracy_score(y_true, y_pred))}
    for avg in ("weighted", "macro"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average=avg, zero_division=0)
        out[f"precision_{avg}"], out[f"recall_{avg}"], out[f"f1_{avg}"] = float(p), float(r), float(f)
    out["confusion"] = confusion_matrix(y_true, y_pred, labels=labels).tolist()
    p, r, _, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    out["per_class"] = {lab: {"precision": float(a), "recall": float(b), "support": int(s)}
                        for lab, a, b, s in zip(labels, p, r, support)}
    return out


def train(data: Dataset, features: str = "angles", model: str = "multinomial", pca: float | None = PAPER_PCA,
          seed: int = 0, choose_kappa: bool = False) -> TrainResult:
    labels = sorted(set(data.labels))
    if len(labels) < 2:
        raise GymlError(f"a classifier needs at least two exercises to tell apart; every sequence is labelled "
                        f"'{labels[0] if labels else ''}' (check the label column or the subfolders)")
    split = split_indices(data.labels, seed, groups=data.groups)
    X = build_features(data.sequences, features)
    y = np.asarray(data.labels)
    scale = features in ("angles", "rep_curve", "motion") and model != "trees"
    settings = {"pca": pca, "model": model, "seed": seed, "split": split, "scale": scale}
    if features == "paper":
        settings["length"] = X.shape[1] // 72
    tr, dv, te = split["train"], split["dev"], split["test"]
    if choose_kappa:
        scores = {}
        for kappa in KAPPAS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)  # a candidate's fit; the final one reports
                est = make_estimator(model, kappa, scale, seed=seed).fit(X[tr], y[tr])
            scores[kappa] = accuracy_score(y[dv], est.predict(X[dv]))
        pca = max(scores, key=scores.get)
        settings["pca"] = pca
        settings["kappa_dev_accuracy"] = {str(k): v for k, v in scores.items()}
    t0 = time.perf_counter()
    wide = X.shape[1] > len(tr)
    with warnings.catch_warnings(record=True) as caught:
        # A solver stopping at its iteration limit is a fact about this fit, reported in the metrics
        # (and by the CLI as one line), not a raw warning on the terminal.
        warnings.simplefilter("always", ConvergenceWarning)
        est = make_estimator(model, pca, scale, seed=seed, wide=wide).fit(X[tr], y[tr])
    seconds = time.perf_counter() - t0
    result = {"train_seconds": seconds, "n_features": int(X.shape[1]),
              "converged": not any(issubclass(w.category, ConvergenceWarning) for w in caught)}
    if split.get("by_group"):
        groups = np.asarray(data.groups)
        result["split_by"] = "group"
        result["groups"] = {part: len(set(groups[split[part]])) for part in ("train", "dev", "test")}
    else:   # too few groups to hold whole ones out (split_indices): said, so the figures are read as such
        result["split_by"] = "recording"
        if data.groups is not None:
            result["groups_found"] = len(set(data.groups))
    for w in caught:
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    for part, idx in (("dev", dv), ("test", te)):
        if idx:
            result[part] = metrics(y[idx], est.predict(X[idx]), labels)
    m = ExerciseModel(est, labels, {lab: data.names.get(lab, lab) for lab in labels}, features, settings)
    return TrainResult(m, seconds, int(X.shape[1]), result)


def evaluate(model: ExerciseModel, data: Dataset) -> dict:
    X = build_features(data.sequences, model.features, model.settings.get("length"))
    sensors = np.array([seq.source for seq in data.sequences])
    pred = np.empty(len(X), object)
    for sensor in np.unique(sensors):   # each recording judged as an analysis would judge it
        rows = sensors == sensor
        pred[rows] = model.estimator_for(str(sensor)).predict(X[rows])
    y, pred = np.asarray(data.labels), pred.astype(str)
    out = metrics(y, pred, model.labels)
    unknown = sorted(set(y.tolist()) - set(model.labels))
    if unknown:   # counted as wrong in accuracy, but outside per_class and the confusion matrix: named here
        out["labels_unknown_to_model"] = {lab: int((y == lab).sum()) for lab in unknown}
    if data.groups is not None:   # each group (person, take) on its own: how the accuracy spreads over them
        groups = np.asarray(data.groups)
        out["per_group"] = {str(g): {"accuracy": float((pred[groups == g] == y[groups == g]).mean()),
                                     "recordings": int((groups == g).sum())} for g in sorted(set(groups.tolist()))}
    return out

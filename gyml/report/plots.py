"""Figures of a trained classifier: confusion matrix, PCA explained variance, and what the model weighs
(logistic-regression coefficients or tree feature importances). PNG files, written atomically."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from gyml.classify.features import angle_feature_names
from gyml.classify.model import ExerciseModel
from gyml.pose.sequence import write_atomically


def _save(fig, path: Path) -> Path:
    write_atomically(path, lambda fh: fig.savefig(fh, format="png", dpi=110, bbox_inches="tight"))
    plt.close(fig)
    return path


def confusion_plot(confusion: list[list[int]], labels: list[str], path: Path, title: str) -> Path:
    cm = np.asarray(confusion, dtype=float)
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    size = max(5.0, 0.28 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return _save(fig, path)


def explained_variance_plot(ratio: np.ndarray, kept: int, kappa: float, path: Path) -> Path:
    cumulative = np.cumsum(ratio)
    shown = min(len(cumulative), max(3 * kept, 50))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(np.arange(1, shown + 1), cumulative[:shown], lw=1.5)
    ax.axhline(kappa, color="grey", ls="--", lw=1)
    ax.axvline(kept, color="tab:red", lw=1)
    ax.set_xlabel("principal components")
    ax.set_ylabel("cumulative explained variance")
    ax.set_title(f"PCA keeps {kept} components for {kappa:.0%} of the variance")
    return _save(fig, path)


def weights_plot(model: ExerciseModel, path: Path) -> Path | None:
    """Coefficient magnitudes per class and input (logistic regression) or feature importances (trees)."""
    clf = model.estimator.named_steps["clf"]
    has_pca = "pca" in model.estimator.named_steps
    inputs = "principal component" if has_pca else "feature"
    names = angle_feature_names() if model.features == "angles" and not has_pca else None
    if hasattr(clf, "feature_importances_"):
        importance = clf.feature_importances_
        top = np.argsort(importance)[::-1][:25]
        fig, ax = plt.subplots(figsize=(6, 6))
        ax.barh(range(len(top))[::-1], importance[top])
        ax.set_yticks(range(len(top))[::-1], [names[i] if names else f"{inputs} {i + 1}" for i in top], fontsize=7)
        ax.set_xlabel("importance (mean decrease in impurity)")
        ax.set_title("what the forest looks at")
        return _save(fig, path)
    estimators = getattr(clf, "estimators_", None)
    coef = np.vstack([e.coef_ for e in estimators]) if estimators is not None else getattr(clf, "coef_", None)
    if coef is None:
        return None
    shown = min(coef.shape[1], 60)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.15 * shown + 2), max(4.0, 0.22 * len(model.labels) + 1)))
    image = ax.imshow(np.abs(coef[:, :shown]), aspect="auto", cmap="viridis")
    ax.set_yticks(range(len(model.labels)), model.labels, fontsize=7)
    ax.set_xlabel(f"{inputs} (first {shown})")
    ax.set_title("logistic regression: |coefficient| per class")
    fig.colorbar(image, ax=ax)
    return _save(fig, path)


def training_plots(model: ExerciseModel, metrics: dict, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for part in ("test", "dev"):
        if part in metrics:
            written.append(confusion_plot(metrics[part]["confusion"], model.labels, folder / "confusion.png",
                                          f"confusion on the {part} split (row shares)"))
            break
    pca = model.estimator.named_steps.get("pca")
    if pca is not None:
        written.append(explained_variance_plot(pca.explained_variance_ratio_, pca.n_components_, pca.variance,
                                               folder / "pca_explained_variance.png"))
    weights = weights_plot(model, folder / "model_weights.png")
    if weights is not None:
        written.append(weights)
    return written

"""Feature sets and classifiers side by side, trained on the same synthesised catalog set (the default
model's recipe) and scored twice: on its held-out synthesised test split, and on the real labelled data
in ../shared (RepCount-pose dev and the videos; top-1 label, no "unknown" threshold).

    python benchmarks/classify_baselines.py [--per-class 40]

The paper's padded SMPL features exist only for SMPL sources, so they have no real-data column (the real
data here is MediaPipe landmarks).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from real_data import all_sequences
from sklearn.metrics import accuracy_score

from gyml.classify.build_default import synthetic_dataset
from gyml.classify.datasets import split_indices
from gyml.classify.features import build_features
from gyml.classify.model import make_estimator

APPROACHES = [  # (name, features, model, PCA share)
    ("paper: padded SMPL, PCA 0.75 + multinomial", "paper", "multinomial", 0.75),
    ("angle statistics, multinomial", "angles", "multinomial", None),
    ("angle statistics, trees (default model)", "angles", "trees", None),
    ("mean rep curve, 1-nearest neighbour", "rep_curve", "knn", None),
    ("mean rep curve, 1-nearest neighbour, DTW", "rep_curve", "knn_dtw", None),
    ("mean rep curve, multinomial", "rep_curve", "multinomial", None),
    ("mean rep curve, trees", "rep_curve", "trees", None),
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=40)
    args = ap.parse_args()
    t0 = time.perf_counter()
    data = synthetic_dataset(args.per_class, seed=0)
    y = np.asarray(data.labels)
    split = split_indices(data.labels, 0)
    train = np.array(split["train"] + split["dev"])
    test = np.array(split["test"])
    real = all_sequences()
    real_y = np.array([r.label for r in real])
    print(f"{len(y)} synthesised sequences ({len(set(y))} classes, {time.perf_counter() - t0:.0f} s); "
          f"{len(real)} real sequences")
    cache: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    print(f"{'approach':<46}{'features':>9}{'train s':>9}{'synth test':>11}{'real':>7}")
    for name, features, model, pca in APPROACHES:
        if features not in cache:
            X = build_features(data.sequences, features)
            Xr = None if features == "paper" else build_features([r.seq for r in real], features)
            cache[features] = (X, Xr)
        X, Xr = cache[features]
        scale = features != "paper" and model not in ("trees", "knn_dtw")  # DTW scales per channel itself
        t1 = time.perf_counter()
        est = make_estimator(model, pca, scale, wide=X.shape[1] > len(train)).fit(X[train], y[train])
        seconds = time.perf_counter() - t1
        synth = accuracy_score(y[test], est.predict(X[test]))
        real_acc = f"{accuracy_score(real_y, est.predict(Xr)):.2f}" if Xr is not None and len(real) else "-"
        print(f"{name:<46}{X.shape[1]:>9}{seconds:>9.1f}{synth:>11.3f}{real_acc:>7}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

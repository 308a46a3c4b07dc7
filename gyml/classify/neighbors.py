"""Nearest neighbour under dynamic time warping: the classic strong time-series baseline.

It compares mean rep curves (features.rep_curve_features: each rep's joint angles resampled to a fixed
number of phase steps and averaged) after warping them onto each other, so a rep whose descent is slow
and ascent quick still meets the same exercise done evenly.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from gyml.coach.align import dtw_distances
from gyml.errors import GymlError
from gyml.pose.skeleton import ANGLE_NAMES


class DTWNeighbors(ClassifierMixin, BaseEstimator):
    """k-nearest-neighbour vote under DTW on (steps x channels) curves flattened into rows.

    channels: values per step (the joint-angle table's width by default). Each channel is standardised
    over the training curves so degrees and ratios weigh alike.
    """

    def __init__(self, n_neighbors: int = 1, band: float = 0.3, channels: int = len(ANGLE_NAMES)):
        self.n_neighbors = n_neighbors
        self.band = band
        self.channels = channels

    def _curves(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] % self.channels:
            raise GymlError(f"DTW neighbours need curves of {self.channels} values a step "
                            f"(the rep_curve features), got {X.shape[-1]} features")
        return X.reshape(len(X), -1, self.channels)

    def fit(self, X, y):
        curves = self._curves(X)
        self.mean_ = curves.mean(axis=(0, 1))
        self.scale_ = curves.std(axis=(0, 1)) + 1e-9
        self.curves_ = (curves - self.mean_) / self.scale_
        self.classes_, self.y_ = np.unique(np.asarray(y), return_inverse=True)
        self.n_features_in_ = X.shape[1] if hasattr(X, "shape") else np.asarray(X).shape[1]
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "curves_")
        curves = (self._curves(X) - self.mean_) / self.scale_
        out = np.zeros((len(curves), len(self.classes_)))
        k = min(self.n_neighbors, len(self.curves_))
        for i, curve in enumerate(curves):
            nearest = np.argsort(dtw_distances(curve, self.curves_, self.band))[:k]
            np.add.at(out[i], self.y_[nearest], 1.0 / k)
        return out

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

"""One sensor's estimator: the general recipe's forest averaged with a small model of that sensor's own
recordings.

RepCount-pose files are a sensor of their own (MediaPipe picture landmarks normalised per axis) with a few
dozen labelled recordings. A forest fitted on every source (hundreds of synthesised and video examples)
with them weighted up still lets the other sources decide most splits; a logistic regression fitted on
the sensor's recordings alone sees only them. Averaging the two probabilities keeps the forest's knowledge
of every class and adds the sensor's own view (RepCount dev out of fold, seeds 0-5: 0.746 -> 0.830;
docs/lab-notes/recog.md).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone


def own_model(C: float = 0.3):
    """The small model: each feature mapped to its quantiles (the features mix degrees, ratios and the
    MISSING marker), then L2 logistic regression. C was fixed before any comparison."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import QuantileTransformer

    return Pipeline([("quantiles", QuantileTransformer(n_quantiles=30)),
                     ("logistic", LogisticRegression(C=C, max_iter=3000))])


class SensorBlend(ClassifierMixin, BaseEstimator):
    """predict_proba = (1 - own_share) * general + own_share * own, the own model's classes mapped onto the
    general estimator's (a class the sensor never showed gets only the general share)."""

    def __init__(self, general=None, own=None, own_share: float = 0.5):
        self.general = general
        self.own = own
        self.own_share = own_share

    def fit(self, X, y, sample_weight=None, own_rows=None):
        """`general` on every row (with `sample_weight`), `own` on the rows of `own_rows` (a boolean mask:
        the sensor's own recordings)."""
        X, y = np.asarray(X), np.asarray(y)
        own_rows = np.ones(len(y), bool) if own_rows is None else np.asarray(own_rows, bool)
        general = clone(self.general)
        if sample_weight is not None:
            last = general.steps[-1][0] if hasattr(general, "steps") else None
            general.fit(X, y, **({f"{last}__sample_weight": sample_weight} if last else
                                 {"sample_weight": sample_weight}))
        else:
            general.fit(X, y)
        self.general_ = general
        self.classes_ = general.classes_
        own_labels = np.unique(y[own_rows]) if own_rows.any() else np.array([])
        if len(own_labels) >= 2:
            own = clone(self.own)
            if hasattr(own, "set_params") and "quantiles__n_quantiles" in own.get_params():
                own.set_params(quantiles__n_quantiles=int(min(30, own_rows.sum())))
            self.own_ = own.fit(X[own_rows], y[own_rows])
            self.own_columns_ = np.searchsorted(self.classes_, self.own_.classes_)
        else:  # nothing to learn a sensor's view from: the general estimator alone
            self.own_ = None
            self.own_columns_ = np.zeros(0, int)
        return self

    def predict_proba(self, X):
        from gyml.classify.model import estimator_proba

        proba = estimator_proba(self.general_, X)
        if self.own_ is None:
            return proba
        mixed = (1.0 - self.own_share) * proba
        mixed[:, self.own_columns_] += self.own_share * self.own_.predict_proba(X)
        return mixed

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

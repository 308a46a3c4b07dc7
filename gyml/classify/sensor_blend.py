"""One sensor's estimator: the general recipe's forest averaged with a small model of that sensor's own
recordings.

RepCount-pose files are a sensor of their own (MediaPipe picture landmarks normalised per axis) with a few
dozen labelled recordings. A forest fitted on every source (hundreds of synthesised and video examples)
with them weighted up still lets the other sources decide most splits; a logistic regression fitted on
the sensor's recordings alone sees only them. Averaging the two probabilities keeps the forest's knowledge
of every class and adds the sensor's own view (RepCount dev out of fold, seeds 0-5: 0.746 -> 0.830;
docs/lab-notes/recog.md). An optional third member, a vote of the nearest recordings under DTW of their
reps (gyml.classify.rep_neighbors), reads extra columns after the first `n_columns` (0.830 -> 0.855 with
thirds).
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
    """predict_proba = general_share * general + own_share * own + vote_share * vote, the own model's and
    the vote's classes mapped onto the general estimator's (a class the sensor never showed gets only the
    general share); general_share = 1 - own_share - vote_share.

    With a `vote`, X holds the general features in its first `n_columns` columns (general and own read
    them) and the vote's input after them (packed rep trajectories, NaN for a recording without reps: it
    gets the general and own members alone, their shares rescaled to one)."""

    def __init__(self, general=None, own=None, own_share: float = 0.5, vote=None, vote_share: float = 0.0):
        self.general = general
        self.own = own
        self.own_share = own_share
        self.vote = vote
        self.vote_share = vote_share

    def fit(self, X, y, sample_weight=None, own_rows=None, n_columns: int | None = None):
        """`general` on every row (with `sample_weight`), `own` (and `vote`) on the rows of `own_rows` (a
        boolean mask: the sensor's own recordings)."""
        X, y = np.asarray(X), np.asarray(y)
        n = X.shape[1] if n_columns is None else int(n_columns)
        self.n_columns_ = n
        own_rows = np.ones(len(y), bool) if own_rows is None else np.asarray(own_rows, bool)
        general = clone(self.general)
        if sample_weight is not None:
            last = general.steps[-1][0] if hasattr(general, "steps") else None
            general.fit(X[:, :n], y, **({f"{last}__sample_weight": sample_weight} if last else
                                        {"sample_weight": sample_weight}))
        else:
            general.fit(X[:, :n], y)
        self.general_ = general
        self.classes_ = general.classes_
        own_labels = np.unique(y[own_rows]) if own_rows.any() else np.array([])
        self.own_, self.own_columns_ = None, np.zeros(0, int)
        self.vote_, self.vote_columns_ = None, np.zeros(0, int)
        if len(own_labels) < 2:   # nothing to learn a sensor's view from: the general estimator alone
            return self
        own = clone(self.own)
        if hasattr(own, "set_params") and "quantiles__n_quantiles" in own.get_params():
            own.set_params(quantiles__n_quantiles=int(min(30, own_rows.sum())))
        self.own_ = own.fit(X[own_rows][:, :n], y[own_rows])
        self.own_columns_ = np.searchsorted(self.classes_, self.own_.classes_)
        if self.vote is not None and X.shape[1] > n:
            with_reps = own_rows & np.isfinite(X[:, n])
            if len(np.unique(y[with_reps])) >= 2:
                self.vote_ = clone(self.vote).fit(X[with_reps][:, n:], y[with_reps])
                self.vote_columns_ = np.searchsorted(self.classes_, self.vote_.classes_)
        return self

    def predict_proba(self, X):
        from gyml.classify.model import estimator_proba

        X = np.asarray(X)
        n = getattr(self, "n_columns_", X.shape[1])
        proba = estimator_proba(self.general_, X[:, :n])
        if self.own_ is None:
            return proba
        vote_model = getattr(self, "vote_", None)   # a model file from before the vote has none
        vote_share_set = getattr(self, "vote_share", 0.0)
        own = self.own_.predict_proba(X[:, :n])
        voted = np.zeros(len(X), bool)
        if vote_model is not None and X.shape[1] > n:
            voted = np.isfinite(X[:, n])
        vote_share = np.where(voted, vote_share_set, 0.0)[:, None]
        # a row without the vote: general and own keep their ratio
        scale = (1.0 - vote_share) / (1.0 - vote_share_set) if vote_model is not None else 1.0
        general_share = (1.0 - self.own_share - (vote_share_set if vote_model is not None else 0.0)) * scale
        mixed = general_share * proba
        mixed[:, self.own_columns_] += self.own_share * scale * own
        if voted.any():
            mixed[np.ix_(voted, self.vote_columns_)] += vote_share_set * vote_model.predict_proba(X[voted][:, n:])
        return mixed

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

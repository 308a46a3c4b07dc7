"""Confidence that means what it says: the probability that the top label is right.

A forest's vote share is a ranking, not a probability: trained on synthesised motion, the shipped model
gives real recordings a top share around 0.4 when it is right nineteen times in twenty. A one-feature
logistic map (Platt scaling) from the top vote share to "the label is right" turns the share into that
probability. It needs labelled data from where the model will be used (real recordings), so it is fitted
separately from the classifier and measured out of fold (each recording's confidence comes from a map
fitted without it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from gyml.errors import GymlError


@dataclass(frozen=True)
class Calibration:
    coef: float
    intercept: float
    fitted_on: str = ""
    n: int = 0

    def __call__(self, share) -> np.ndarray | float:
        z = self.coef * np.asarray(share, dtype=np.float64) + self.intercept
        p = 1.0 / (1.0 + np.exp(-z))
        return float(p) if np.ndim(p) == 0 else p

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Calibration:
        return cls(float(d["coef"]), float(d["intercept"]), str(d.get("fitted_on", "")), int(d.get("n", 0)))


def fit_calibration(shares: np.ndarray, correct: np.ndarray, fitted_on: str = "") -> Calibration:
    """Platt scaling of top-1 vote shares against whether the top label was right."""
    shares = np.asarray(shares, dtype=np.float64).reshape(-1, 1)
    correct = np.asarray(correct, dtype=bool)
    if len(shares) != len(correct) or len(shares) < 4:
        raise GymlError("calibration needs at least four recordings with a known exercise")
    if correct.all() or not correct.any():
        raise GymlError("calibration needs both right and wrong predictions to learn from")
    # A mild penalty: with tens of recordings, an unpenalised fit on a separable sample runs to infinity.
    model = LogisticRegression(C=10.0).fit(shares, correct)
    return Calibration(float(model.coef_[0, 0]), float(model.intercept_[0]), fitted_on, len(shares))


def out_of_fold(shares: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """Each recording's calibrated confidence from a map fitted on all the others (leave one out)."""
    shares = np.asarray(shares, dtype=np.float64)
    correct = np.asarray(correct, dtype=bool)
    out = np.empty(len(shares))
    for i in range(len(shares)):
        keep = np.arange(len(shares)) != i
        out[i] = fit_calibration(shares[keep], correct[keep])(shares[i])
    return out


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 5) -> float:
    """Mean gap between stated confidence and accuracy over equal-width confidence bins, weighted by
    how many predictions fall in each."""
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    gap = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            gap += inside.sum() * abs(confidence[inside].mean() - correct[inside].mean())
    return gap / max(len(confidence), 1)

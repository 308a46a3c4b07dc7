"""Confidence that means what it says: the probability that the top label is right.

A forest's vote share is a ranking, not a probability: trained on synthesised motion, the shipped model
gives real recordings a top share around 0.4 when it is right nineteen times in twenty. A one-feature
logistic map (Platt scaling) from the top vote share to "the label is right" turns the share into that
probability. It needs labelled data from where the model will be used (real recordings), so it is fitted
separately from the classifier and measured out of fold (each recording's confidence comes from a map
fitted without it).

A body cut by the picture's frame is judged worse than its vote share says: MediaPipe draws the missing
parts anyway, squashed and guessed, and the forest is sure of a reading that is often wrong (real videos
re-read from crops: said 0.84-0.88, right 0.69-0.72 through the share-only map). The map also reads
`framing_cut`, how often the body reaches the picture's top or bottom edge, and is fitted on the
re-framed training videos' out-of-fold readings beside the whole recordings' (gyml.classify.build_default).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from gyml.errors import GymlError

# MediaPipe's picture landmarks that tell where the body ends (nose, shoulders, hips, knees, ankles) and
# the canonical joint each becomes: a joint the source does not have is not read (a cut is not an absence).
FRAMING_LANDMARKS = {0: "head", 11: "left_shoulder", 12: "right_shoulder", 23: "left_hip", 24: "right_hip",
                     25: "left_knee", 26: "right_knee", 27: "left_ankle", 28: "right_ankle"}
# A landmark this close to the top or bottom edge (a share of the picture's height) or beyond it counts as
# cut: MediaPipe squashes a cut body against the edge as often as it places the parts outside the picture.
FRAMING_EDGE = 0.05


def framing_cut(seq, picture_rows: tuple[float, float] | None = None) -> float:
    """The share of frames with a person in which the body reaches the top or bottom edge of the picture
    (or lies beyond it): 0 for a body framed whole, 1 for one cut in every frame. Read from the pose
    model's picture landmarks (MediaPipe's 33, normalised to the picture); 0 when the source has no
    picture coordinates (pose files, and RepCount-pose, whose landmarks were normalised frame by frame).
    `picture_rows` (top, bottom; normalised): landmarks given in a larger picture of which the pose model
    saw only these rows (gyml.pose.framing's re-read crops, mapped back to the full picture)."""
    image = seq.image_landmarks
    if image is None or image.ndim != 3 or image.shape[1] < 33 or seq.metadata.get("axis_scales_restored"):
        return 0.0
    from gyml.pose.layouts import absent_joints

    lacking = set(seq.metadata.get("absent_joints") or ()) | set(absent_joints(seq))
    rows = [i for i, joint in FRAMING_LANDMARKS.items() if joint not in lacking]
    y = np.asarray(image[:, rows, 1], dtype=np.float64)
    if picture_rows is not None:
        top, bottom = picture_rows
        y = (y - top) / max(bottom - top, 1e-6)
    known = np.isfinite(y).all(axis=1) & seq.present
    if not rows or not known.any():
        return 0.0
    y = y[known]
    return float(((y < FRAMING_EDGE) | (y > 1.0 - FRAMING_EDGE)).any(axis=1).mean())


@dataclass(frozen=True)
class Calibration:
    """P(top label right) = sigmoid(coef * top share + framing_coef * framing_cut + intercept). A model file
    written before the framing term reads with framing_coef 0: the one-feature map it was."""
    coef: float
    intercept: float
    fitted_on: str = ""
    n: int = 0
    framing_coef: float = 0.0

    def __call__(self, share, framing=0.0) -> np.ndarray | float:
        z = (self.coef * np.asarray(share, dtype=np.float64) + self.framing_coef * np.asarray(framing, dtype=np.float64)
             + self.intercept)
        p = 1.0 / (1.0 + np.exp(-z))
        return float(p) if np.ndim(p) == 0 else p

    @property
    def reads_framing(self) -> bool:
        return self.framing_coef != 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Calibration:
        return cls(float(d["coef"]), float(d["intercept"]), str(d.get("fitted_on", "")), int(d.get("n", 0)),
                   float(d.get("framing_coef", 0.0)))


def fit_calibration(shares: np.ndarray, correct: np.ndarray, fitted_on: str = "",
                    framing: np.ndarray | None = None) -> Calibration:
    """Platt scaling of top-1 vote shares (and, given, each recording's `framing_cut`) against whether the
    top label was right."""
    shares = np.asarray(shares, dtype=np.float64).reshape(-1, 1)
    correct = np.asarray(correct, dtype=bool)
    if len(shares) != len(correct) or len(shares) < 4:
        raise GymlError("calibration needs at least four recordings with a known exercise")
    if correct.all() or not correct.any():
        raise GymlError("calibration needs both right and wrong predictions to learn from")
    X = shares
    if framing is not None:
        framing = np.asarray(framing, dtype=np.float64).reshape(-1, 1)
        if len(framing) != len(shares):
            raise GymlError("calibration needs one framing measure per recording")
        X = np.hstack([shares, framing])
    # A mild penalty: with tens of recordings, an unpenalised fit on a separable sample runs to infinity.
    model = LogisticRegression(C=10.0).fit(X, correct)
    framing_coef = float(model.coef_[0, 1]) if framing is not None else 0.0
    return Calibration(float(model.coef_[0, 0]), float(model.intercept_[0]), fitted_on, len(shares), framing_coef)


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

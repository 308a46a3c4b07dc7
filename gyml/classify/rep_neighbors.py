"""A nearest-neighbour vote on whole recordings under dynamic time warping of their reps.

Each rep the counter finds becomes a period-normalised trajectory of a few joint angles (left and right
averaged, so a mirrored recording reads the same); a recording's distance to another is the mean, over
its own reps, of the DTW cost to the other's closest rep; the k nearest training recordings vote.
Unlike the motion statistics it keeps the order of the movement within a rep (what rises first, what
stays still while something else moves). All settings here were fixed before the first comparison.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from gyml.coach.align import dtw_cost_matrix
from gyml.pose.kinematics import Kinematics
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import ANGLE_NAMES

# Channels: a pair is the mean of its left and right angle.
TRAJECTORY_CHANNELS = (("left_knee_flexion", "right_knee_flexion"), ("left_hip_flexion", "right_hip_flexion"),
                       ("left_elbow_flexion", "right_elbow_flexion"),
                       ("left_shoulder_elevation", "right_shoulder_elevation"),
                       ("left_shoulder_abduction", "right_shoulder_abduction"),
                       ("trunk_inclination",), ("hand_height",), ("hip_height",))
STEPS = 32
MAX_REPS = 12


def rep_trajectories(seq: PoseSequence, kinematics: Kinematics | None = None, reps=None,
                     steps: int = STEPS, max_reps: int = MAX_REPS) -> np.ndarray:
    """(reps, steps, channels): each counted rep's channels resampled to `steps` phase points (at most
    `max_reps` reps, spread evenly over the set). No rep counted: the whole recording as one."""
    from gyml.reps.counter import count_reps

    kinematics = Kinematics.of(seq, kinematics)
    angles = kinematics.angles
    columns = [[ANGLE_NAMES.index(name) for name in channel] for channel in TRAJECTORY_CHANNELS]
    channels = np.stack([angles[:, c].mean(axis=1) for c in columns], axis=1)
    counted = reps if reps is not None else count_reps(seq, kinematics=kinematics)
    segments = [(s.start, s.end) for s in counted.segments if s.end > s.start] or [(0, max(len(seq) - 1, 1))]
    if len(segments) > max_reps:
        segments = [segments[i] for i in np.linspace(0, len(segments) - 1, max_reps).round().astype(int)]
    phase = np.linspace(0.0, 1.0, steps)
    out = np.zeros((len(segments), steps, channels.shape[1]))
    for r, (start, end) in enumerate(segments):
        piece = channels[start:end + 1]
        t = np.linspace(0.0, 1.0, len(piece))
        for k in range(piece.shape[1]):
            values = piece[:, k]
            ok = np.isfinite(values)
            out[r, :, k] = np.interp(phase, t[ok], values[ok]) if ok.sum() >= 2 else 0.0
    return out


def width(max_reps: int = MAX_REPS) -> int:
    """Columns of one packed recording."""
    return max_reps * STEPS * len(TRAJECTORY_CHANNELS)


def pack(trajectories: list[np.ndarray], max_reps: int = MAX_REPS) -> np.ndarray:
    """Recordings' (reps, steps, channels) arrays as rows of one table, NaN where a recording has fewer
    reps (so that they pass through scikit-learn like any feature table)."""
    steps, channels = trajectories[0].shape[1:]
    table = np.full((len(trajectories), max_reps * steps * channels), np.nan)
    for i, t in enumerate(trajectories):
        table[i, :t.size] = t.reshape(-1)
    return table


def unpack(row: np.ndarray, steps: int = STEPS, channels: int = len(TRAJECTORY_CHANNELS)) -> np.ndarray:
    reps = np.asarray(row, float).reshape(-1, steps, channels)
    return reps[np.isfinite(reps).all(axis=(1, 2))]


def half_turned(reps: np.ndarray) -> np.ndarray:
    """(reps, steps, channels) closed rep trajectories (the last step is back at the first) rolled by half a
    cycle: each rep as if the counter had cut it at its turning point instead of at rest, or the reverse."""
    half = (reps.shape[1] - 1) // 2
    return np.concatenate([reps[:, half:-1], reps[:, :half + 1]], axis=1)


class RepNeighbors(ClassifierMixin, BaseEstimator):
    """k nearest training recordings under the rep-to-rep DTW distance; predict_proba: the vote shares.

    Fit on packed trajectories (`pack`); channels are standardised over the training reps so that degrees
    and height ratios weigh alike. `phase_free`: a recording is also compared with its reps turned half a
    cycle (`half_turned`), the nearer of the two counting, so that where the counter cut the reps matters
    not."""

    def __init__(self, n_neighbors: int = 3, band: float = 0.3, phase_free: bool = False):
        self.n_neighbors = n_neighbors
        self.band = band
        self.phase_free = phase_free

    def fit(self, X, y):
        recordings = [unpack(row) for row in np.asarray(X, float)]
        every = np.concatenate(recordings)
        self.mean_ = every.mean(axis=(0, 1))
        self.scale_ = every.std(axis=(0, 1)) + 1e-9
        self.reps_ = (every - self.mean_) / self.scale_
        self.owner_ = np.concatenate([np.full(len(r), i) for i, r in enumerate(recordings)])
        self.classes_, self.y_ = np.unique(np.asarray(y), return_inverse=True)
        return self

    def distances(self, X) -> np.ndarray:
        """(queries, training recordings) recording distances."""
        n_train = len(self.y_)
        out = np.zeros((len(X), n_train))
        # each training recording's reps are consecutive: its closest rep by one reduction
        starts = np.searchsorted(self.owner_, np.arange(n_train))
        for i, row in enumerate(np.asarray(X, float)):
            reps = (unpack(row) - self.mean_) / self.scale_
            if not len(reps):
                continue
            per_rep = dtw_cost_matrix(reps, self.reps_, self.band)   # (reps, training reps)
            out[i] = np.minimum.reduceat(per_rep, starts, axis=1).mean(axis=0)
            if getattr(self, "phase_free", False):   # models saved before the option read as before
                turned = dtw_cost_matrix(half_turned(reps), self.reps_, self.band)
                out[i] = np.minimum(out[i], np.minimum.reduceat(turned, starts, axis=1).mean(axis=0))
        return out

    def proba_from_distances(self, distances: np.ndarray) -> np.ndarray:
        k = min(self.n_neighbors, distances.shape[1])
        out = np.zeros((len(distances), len(self.classes_)))
        for i, d in enumerate(distances):
            np.add.at(out[i], self.y_[np.argsort(d, kind="stable")[:k]], 1.0 / k)
        return out

    def predict_proba(self, X):
        return self.proba_from_distances(self.distances(X))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

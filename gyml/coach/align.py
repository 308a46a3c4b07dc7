"""Whole-rep alignment with the gold rep: dynamic time warping of joint-angle curves.

Two frames (start, midpoint) say nothing about the way down and the way up. Each rep is resampled to a
fixed number of steps (phase normalisation: rep length and frame rate drop out), then warped onto the
gold rep's template, so that every moment of the user's rep meets the gold moment it corresponds to,
even when the user pauses at the bottom or rushes one half. The template's steps carry phase names
(start, descent, mid, ascent, end), which the coach uses to say when in the rep something went wrong.
"""

from __future__ import annotations

import numpy as np

from gyml.pose.skeleton import ANGLE_NAMES

STEPS = 48
# Columns measured in degrees (the others are ratios and heights): the warping compares these.
DEGREES = np.array([i for i, n in enumerate(ANGLE_NAMES)
                    if n not in ("knee_width_ratio", "hand_height", "hip_height")])
PHASES = ("start", "descent", "mid", "ascent", "end")


def resample(curve: np.ndarray, steps: int = STEPS) -> np.ndarray:
    """(T, A) -> (steps, A) by linear interpolation over the rep's own time, start to end."""
    curve = np.asarray(curve, dtype=np.float64)
    if len(curve) == 1:
        return np.repeat(curve, steps, axis=0)
    t = np.linspace(0.0, len(curve) - 1.0, steps)
    lo = np.floor(t).astype(int)
    hi = np.minimum(lo + 1, len(curve) - 1)
    w = (t - lo)[:, None]
    return curve[lo] * (1 - w) + curve[hi] * w


def _banded(cost: np.ndarray, band: float) -> np.ndarray:
    """Local costs (..., n, m) outside a Sakoe-Chiba band of `band` of the length around the diagonal
    set to infinity: the warp may not match the start of one rep to the end of the other."""
    n, m = cost.shape[-2:]
    width = max(int(np.ceil(band * max(n, m))), abs(n - m) + 1)
    rows = np.arange(n)[:, None] * (m - 1) / max(n - 1, 1)
    return np.where(np.abs(np.arange(m)[None, :] - rows) <= width, cost, np.inf)


def dtw_path(a: np.ndarray, b: np.ndarray, band: float = 0.3) -> tuple[np.ndarray, float]:
    """Warping path between curves a (n, k) and b (m, k): for each step of a, the step of b it matches
    (the middle of its matches), and the mean absolute difference along the path.

    Mean absolute difference per column as the local cost (degrees); a Sakoe-Chiba band of `band` of the
    length keeps the warp from matching the start of one rep to the end of the other.
    """
    n, m = len(a), len(b)
    cost = _banded(np.abs(a[:, None, :] - b[None, :, :]).mean(axis=2), band)
    total = np.full((n + 1, m + 1), np.inf)
    total[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            c = cost[i - 1, j - 1]
            if c < np.inf:
                total[i, j] = c + min(total[i - 1, j - 1], total[i - 1, j], total[i, j - 1])
    # walk back from the end
    i, j = n, m
    pairs = [(n - 1, m - 1)]
    while (i, j) != (1, 1):
        moves = ((i - 1, j - 1), (i - 1, j), (i, j - 1))
        i, j = min((mv for mv in moves if mv[0] >= 1 and mv[1] >= 1), key=lambda mv: total[mv])
        pairs.append((i - 1, j - 1))
    pairs = np.array(pairs[::-1])
    match = np.zeros(n, int)
    for i in range(n):
        js = pairs[pairs[:, 0] == i, 1]
        match[i] = int(js[len(js) // 2])
    return match, float(cost[pairs[:, 0], pairs[:, 1]].mean())


def dtw_distances(query: np.ndarray, references: np.ndarray, band: float = 0.3) -> np.ndarray:
    """DTW cost between one curve (n, k) and each of R reference curves (R, m, k), for all references at
    once: the least sum of mean absolute column differences along a warp, divided by n + m (so that it
    reads in the curves' units; for equal lengths the ranking is that of the summed cost)."""
    return dtw_cost_matrix(np.asarray(query)[None], references, band)[0]


def dtw_cost_matrix(queries: np.ndarray, references: np.ndarray, band: float = 0.3) -> np.ndarray:
    """(Q, R) `dtw_distances` between every curve of (Q, n, k) and every curve of (R, m, k) in one pass,
    so that a recording's dozen reps cost one pass over the references instead of a dozen."""
    from scipy.spatial.distance import cdist

    queries, references = np.asarray(queries, dtype=np.float64), np.asarray(references, dtype=np.float64)
    q, n, channels = queries.shape
    r, m = references.shape[:2]
    # local costs: mean absolute channel difference of every query step against every reference step
    cost = cdist(queries.reshape(q * n, channels), references.reshape(r * m, channels), "cityblock") / channels
    cost = cost.reshape(q, n, r, m).transpose(1, 3, 0, 2)                                      # (n, m, q, r)
    outside = ~np.isfinite(_banded(np.zeros((n, m)), band))
    cost = np.ascontiguousarray(cost)
    cost[outside] = np.inf
    inside = [np.flatnonzero(~band_row) for band_row in outside]
    previous = np.full((m + 1, q, r), np.inf)
    previous[0] = 0.0
    for i in range(n):
        # the diagonal and vertical moves for the whole row at once, then the horizontal ones in order
        row = np.full((m + 1, q, r), np.inf)
        row[1:] = cost[i] + np.minimum(previous[:-1], previous[1:])
        for j in inside[i] + 1:   # outside the band the horizontal move cannot lower anything
            np.minimum(row[j], cost[i, j - 1] + row[j - 1], out=row[j])
        previous = row
        previous[0] = np.inf
    return previous[m] / (n + m)


def template(curves: list[np.ndarray]) -> np.ndarray:
    """The gold rep: each gold rep's resampled curve warped onto the first one, then the median per step."""
    first = curves[0]
    aligned = [first]
    for c in curves[1:]:
        # for each step of the first rep, the matching step of this one
        match, _ = dtw_path(first[:, DEGREES], c[:, DEGREES])
        aligned.append(c[match])
    return np.median(np.stack(aligned), axis=0)


def moving_columns(gold: np.ndarray, min_range: float = 15.0) -> np.ndarray:
    """Degree columns that the gold rep really moves: they set the rep's timing."""
    spread = gold[:, DEGREES].max(axis=0) - gold[:, DEGREES].min(axis=0)
    cols = DEGREES[spread >= min_range]
    return cols if len(cols) else DEGREES


def template_phases(gold: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Phase name of every template step, from how far the gold rep is from its start pose: near it
    before the turning point = start, the first fifth to four fifths out = descent, beyond = mid (the
    turning point), and back = ascent, end."""
    away = np.abs(gold[:, cols] - gold[0, cols]).sum(axis=1)
    away = away / max(away.max(), 1e-9)
    turn = int(np.argmax(away))
    names = np.empty(len(gold), dtype=object)
    for i, v in enumerate(away):
        before = i <= turn
        if v >= 0.8:
            names[i] = "mid"
        elif v >= 0.2:
            names[i] = "descent" if before else "ascent"
        else:
            names[i] = "start" if before else "end"
    return names


def align_to_gold(curve: np.ndarray, gold: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, float]:
    """For each step of the user's resampled rep, the gold template step it corresponds to; and the
    mean angle difference (degrees) along the alignment: how unlike the gold rep this one is."""
    return dtw_path(curve[:, cols], gold[:, cols])

"""The one-dimensional motion signal that reps are counted on: periods, autocorrelation, periodic components."""

from __future__ import annotations

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft
from scipy.linalg import eigh
from scipy.ndimage import gaussian_filter1d
from scipy.signal import fftconvolve

# General kinematics live in gyml.pose.kinematics; imported here for callers of their old home.
from gyml.pose.kinematics import (  # noqa: F401
    MOTION_JOINTS,
    angle_table,
    fill_missing,
    paper_features,
    pose_features,
)

# The autocorrelation a lag must exceed to count as one where the motion repeats.
REPEATS = 0.15

def gaussian_lowpass(x: np.ndarray, sigma: float, truncate: float = 4.0) -> np.ndarray:
    """`scipy.ndimage.gaussian_filter1d(x, sigma, axis=0, mode="nearest")`, by FFT for wide kernels.

    The counter's high-pass filters are several seconds wide (hundreds of taps): direct convolution
    dominated the cost of a count; the same kernel applied by FFT gives the same result to rounding.
    """
    x = np.asarray(x, dtype=np.float64)
    radius = int(truncate * float(sigma) + 0.5)
    if radius < 32 or x.ndim == 0 or len(x) == 0:
        return gaussian_filter1d(x, sigma, axis=0, mode="nearest")
    taps = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (taps / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(x, [(radius, radius)] + [(0, 0)] * (x.ndim - 1), mode="edge")
    return fftconvolve(padded, kernel.reshape((-1,) + (1,) * (x.ndim - 1)), mode="valid", axes=0)


def detrend(features: np.ndarray, sigma: float) -> np.ndarray:
    """Remove motion slower than a rep (walking in, changing position) with a wide Gaussian high-pass."""
    return features - gaussian_lowpass(features, sigma)


def clipped_motion(features: np.ndarray, sigma: float) -> np.ndarray:
    """Motion faster than `sigma` frames (see `detrend`), each dimension clipped at its 90th percentile,
    so that one outsized rep does not rule a period estimate."""
    moving = detrend(features, sigma)
    limit = np.percentile(np.abs(moving), 90, axis=0)
    return np.clip(moving, -limit, limit)


def autocorrelation(x: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation of a (T,) or (T, D) series (summed over dimensions), overlap-corrected."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    x = x - x.mean(axis=0)
    n = len(x)
    # zero-padded to at least 2n (no wrap-around), to a length the FFT is fast at; the dimensions'
    # power spectra are summed before the one inverse transform (it is linear)
    size = next_fast_len(2 * n, real=True)
    spectrum = rfft(x, size, axis=0)
    ac = irfft((spectrum.real ** 2 + spectrum.imag ** 2).sum(axis=1), size)[:n]
    if ac[0] <= 0:
        return np.zeros(n)
    ac = ac / ac[0]
    return ac * n / np.maximum(n - np.arange(n), 1)


def _autocorrelation_maxima(series: np.ndarray, min_period: int, max_period: int):
    """(autocorrelation over the searchable lags, those lags, indices of its local maxima), or None when
    the series is too short to search."""
    hi = min(max_period, len(series) // 2)
    min_period = max(min_period, 2)
    if hi <= min_period + 2:
        return None
    seg = autocorrelation(series)[min_period - 1:hi + 1]
    lags = np.arange(len(seg)) + min_period - 1
    inner = np.arange(1, len(seg) - 1)
    maxima = inner[(seg[inner] >= seg[inner - 1]) & (seg[inner] >= seg[inner + 1])]
    return seg, lags, maxima


def period_candidates(series: np.ndarray, min_period: int, max_period: int, threshold: float = REPEATS
                      ) -> list[float]:
    """Every lag where the autocorrelation peaks above `threshold`, strongest first."""
    found = _autocorrelation_maxima(series, min_period, max_period)
    if found is None:
        return []
    seg, lags, maxima = found
    peaks = maxima[seg[maxima] > threshold]
    return [float(lags[p]) for p in peaks[np.argsort(-seg[peaks], kind="stable")]]


def dominant_period(series: np.ndarray, min_period: int, max_period: int, threshold: float = REPEATS,
                    near: float = 0.85, fraction: float = 0.5, weak: float = 0.6) -> tuple[float | None, float]:
    """(period in frames, strength) from the autocorrelation; (None, 0) when nothing repeats.

    Takes the first local maximum that reaches `near` of the strongest, so a multiple of the true period
    is not chosen over the period; then, if an earlier peak reaching `fraction` of the chosen one sits at
    a third or a half of its lag, that one (a set whose every third rep is shallow also repeats every
    three reps).
    """
    found = _autocorrelation_maxima(series, min_period, max_period)
    if found is None:
        return None, 0.0
    seg, lags, maxima = found
    peaks = maxima[seg[maxima] > threshold]
    bumps = lags[maxima[seg[maxima] > min(threshold, 0.0)]]
    if len(peaks) == 0:
        return None, 0.0
    best = seg[peaks].max()
    first = peaks[np.argmax(seg[peaks] >= near * best)]
    # A set whose every k-th rep differs (a shallow one, a pause) also repeats every k reps; a clear
    # earlier peak at a whole fraction of the chosen lag is the rep itself.
    # A weaker earlier peak also counts when the autocorrelation peaks at every multiple of it up to the
    # chosen lag (two rushed reps among eight make the set repeat every four reps, and each rep still
    # shows at one, two and three reps' lag); a harmonic of the rep (a bounce) peaks at half the lag only.
    for k in (4, 3, 2):
        below = peaks[(peaks < first) & (seg[peaks] >= weak * fraction * seg[first])]
        match = below[np.abs(lags[below] * k / lags[first] - 1) <= 0.1]
        if not len(match):
            continue
        best_match = match[np.argmax(seg[match])]
        strong = seg[best_match] >= fraction * seg[first]
        step = lags[first] / k
        every = all(np.any(np.abs(bumps - j * step) <= 0.2 * step) for j in range(2, k))
        if strong or (k > 2 and every):
            first = best_match
            break
    return float(lags[first]), float(seg[first])


def local_periods(features: np.ndarray, period: float, min_period: int, max_period: int,
                  window: int, strength: float = 0.4, threshold: float = REPEATS, near: float = 0.85
                  ) -> np.ndarray | None:
    """(T,) the rep period around each frame, or None when the recording is too short to tell.

    The period is estimated in windows of `window` frames (a sixth of a window apart); each frame takes
    the shortest clear period among the windows that cover it, so a stretch of quicker reps is seen from
    every window that reaches into it. Frames no window describes keep `period`.
    """
    n = len(features)
    if n < 1.25 * window or window < 4 * max(min_period, 2):
        return None
    upper = int(min(max_period, window / 2))
    track = np.full(n, np.inf)
    found = 0
    for start in range(0, n - window + 1, max(1, window // 6)):
        piece = clipped_motion(features[start:start + window], upper / 2)
        lag, score = dominant_period(piece, min_period, upper, threshold, near)
        if lag and score >= strength:
            track[start:start + window] = np.minimum(track[start:start + window], lag)
            found += 1
    if found < 2:
        return None
    track[~np.isfinite(track)] = period
    return track


def principal_signal(features: np.ndarray, period: float | None, n_components: int = 4
                     ) -> tuple[np.ndarray, float]:
    """The most periodic of the leading principal components: (signal, its autocorrelation at the period)."""
    x = features - features.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    candidates = [x @ vt[k] for k in range(min(n_components, len(vt)))]
    if period is None:
        return candidates[0], 0.0
    lag = int(round(period))
    scores = []
    for c in candidates:
        ac = autocorrelation(c)
        scores.append(ac[lag] if lag < len(ac) else 0.0)
    # Prefer the stronger component unless a weaker one repeats clearly better.
    energies = [np.var(c) for c in candidates]
    best = max(range(len(candidates)), key=lambda k: scores[k] * (energies[k] / energies[0]) ** 0.25)
    return candidates[best], float(scores[best])


def periodic_component(features: np.ndarray, period: float, n_components: int = 8, ridge: float = 1e-3
                       ) -> np.ndarray:
    """The projection of `features` (T, D) that repeats best at lag `period` (periodic component analysis).

    The direction of largest variance often follows one-off movements (getting into position, shifting
    on the bench) that dwarf the reps; this one maximises the lag-`period` autocovariance relative to the
    variance instead: the top generalised eigenvector of (C_period, C_0) within the leading principal
    components. When that direction is a harmonic (it also repeats every half period), the direction that
    repeats at the period and reverses at half of it is taken instead (applying that criterion to every
    set lost accuracy on RepCount, where a period estimate can be twice the true one). Scaled to the
    variance of the first principal component so amplitude thresholds keep their units (torso lengths).
    """
    x = features - features.mean(axis=0)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    k = min(n_components, int((s > 1e-9 * max(s[0], 1e-300)).sum()))
    lag = int(round(period))
    if k == 0 or lag < 1 or lag >= len(x) - 2:
        return x @ vt[0] if len(vt) else np.zeros(len(x))
    z = x @ vt[:k].T
    c0 = z.T @ z / len(z)
    regular = c0 + ridge * np.trace(c0) / k * np.eye(k)
    _, vectors = eigh(_lagged_covariance(z, lag), regular)
    component = z @ vectors[:, -1]
    half = max(1, lag // 2)
    if autocorrelation(component)[half] > 0:
        # It repeats every half rep too: a harmonic (a wrist's arc, a bounce), which would count each rep
        # twice. Ask instead for the direction that repeats at the period and reverses at half of it.
        _, vectors = eigh(_lagged_covariance(z, lag) - _lagged_covariance(z, half), regular)
        component = z @ vectors[:, -1]
    return component * (s[0] / max(np.linalg.norm(component), 1e-12))


def _lagged_covariance(z: np.ndarray, lag: int) -> np.ndarray:
    a, b = z[:-lag], z[lag:]
    return (a.T @ b + b.T @ a) / (2 * len(a))

"""Exact linear algebra for data far wider than it is tall: PCA that keeps a share of the variance, and
logistic regression on every feature solved in the span of the samples.

The paper's padded features are 7,204 sequences x 222,408 numbers. scikit-learn's exact PCA factorises
the whole matrix (and copies it in float64): hours and tens of gigabytes. With n samples << d features
the principal axes live in the span of the samples, so the n x n Gram matrix of the centred data holds
everything: its eigenvectors U and eigenvalues L give the components Xc' U / sqrt(L). The Gram matrix is
accumulated over column blocks of float32 input, so memory stays at the input plus n x n, and each block
multiplies only the rows that are not zero there (zero-padded sequences end early), then it is centred
exactly: Xc Xc' = X X' - r 1' - 1 r' + |mean|^2 with r = X mean.
When d <= n, the d x d covariance is the smaller matrix and is used instead.

Keeping 75% of the variance of such data takes a handful of components (10 at FLAG3D's scale), so by
default the leading ones are first sought by randomized subspace iteration (Halko, Martinsson & Tropp
2011) in thin passes over X: a few n x l products instead of the n x n Gram matrix. The share they
explain is measured against the exact total variance; when they fall short (kappa near 1 needs
hundreds), the exact Gram route runs instead.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg.blas import ssyrk
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from gyml.errors import GymlError


def column_blocks(d: int, block: int):
    for lo in range(0, d, block):
        yield slice(lo, min(d, lo + block))


class PaddedLayout:
    """Where zero-padded rows end: rows ordered longest first, so that in each column block the rows
    holding anything are a prefix `order[:counts[b]]`."""

    def __init__(self, X: np.ndarray, block: int):
        n = len(X)
        self.blocks = list(column_blocks(X.shape[1], block))
        reach = np.zeros(n, int)                      # the last column block where each row is non-zero
        for b, cols in enumerate(self.blocks):
            reach[np.any(X[:, cols] != 0, axis=1)] = b
        self.order = np.argsort(-reach, kind="stable")
        self.counts = [int((reach >= b).sum()) for b in range(len(self.blocks))]

    def parts(self):
        """(column block, rows with anything in it) pairs, skipping all-zero tails."""
        for cols, m in zip(self.blocks, self.counts):
            if m:
                yield cols, self.order[:m]


def centred_times(X: np.ndarray, mean: np.ndarray, W: np.ndarray, layout: PaddedLayout) -> np.ndarray:
    """(X - mean) @ W without forming X - mean: X @ W - 1 (mean @ W), skipping padding."""
    out = np.zeros((len(X), W.shape[1]), np.float32)
    for cols, rows in layout.parts():
        out[rows] += X[rows, cols] @ W[cols]
    return out - mean @ W


def centred_transpose_times(X: np.ndarray, mean: np.ndarray, Q: np.ndarray, layout: PaddedLayout) -> np.ndarray:
    """(X - mean)' @ Q, (d, l), skipping padding."""
    out = np.zeros((X.shape[1], Q.shape[1]), np.float32)
    for cols, rows in layout.parts():
        out[cols] = X[rows, cols].T @ Q[rows]
    return out - np.outer(mean, Q.sum(axis=0))


def randomized_span(X: np.ndarray, mean: np.ndarray, rank: int, layout: PaddedLayout, iterations: int = 4,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The leading `rank` eigenvalues of the centred Gram matrix and the matching principal axes
    (rank, d), by randomized subspace iteration. The axes come from the last pass: with Z = Xc' Q and
    Z'Z = V L V', the axes are (Z V / sqrt(L))'."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((X.shape[1], rank)).astype(np.float32)
    Q, _ = np.linalg.qr(centred_times(X, mean, W, layout))
    for _ in range(iterations):
        # orthonormalised at every half step: float32 powers of a fast-decaying spectrum lose the tail
        Z, _ = np.linalg.qr(centred_transpose_times(X, mean, Q, layout))
        Q, _ = np.linalg.qr(centred_times(X, mean, Z, layout))
    Z = centred_transpose_times(X, mean, Q, layout).astype(np.float64)
    values, V = np.linalg.eigh(Z.T @ Z)
    order = np.argsort(values)[::-1]
    values, V = np.clip(values[order], 0.0, None), V[:, order]
    axes = (Z @ V / np.sqrt(np.maximum(values, 1e-300))).T.astype(np.float32)
    return values, axes


def total_variance(X: np.ndarray, mean: np.ndarray, block: int = 8192) -> float:
    """Sum of squared centred entries: sum |x|^2 - n |mean|^2, in float64."""
    squares = 0.0
    for cols in column_blocks(X.shape[1], block):
        part = X[:, cols].astype(np.float64)
        squares += float(np.einsum("ij,ij->", part, part))
    m = mean.astype(np.float64)
    return squares - len(X) * float(m @ m)


def centred_gram(X: np.ndarray, mean: np.ndarray, block: int = 8192) -> np.ndarray:
    """(X - mean)(X - mean)' from the raw Gram matrix, skipping the zeros of padded data.

    Rows are taken longest first, so in each column block the rows with anything there are a prefix
    (zero-padded sequences end early); BLAS syrk fills one triangle of each block's product. Then the
    Gram matrix is centred exactly.
    """
    n = len(X)
    layout = PaddedLayout(X, block)
    mean64 = np.asarray(mean, dtype=np.float64)
    gram = np.zeros((n, n))
    projected = np.zeros(n)                       # X @ mean, in `order`
    for cols, rows in layout.parts():
        m = len(rows)
        part = X[rows, cols]
        gram[:m, :m] += ssyrk(1.0, part.T, trans=1)  # upper triangle of part @ part.T; part.T is Fortran-ordered, no copy
        projected[:m] += part @ mean64[cols]
    order = layout.order
    gram = np.triu(gram) + np.triu(gram, 1).T
    inverse = np.empty(n, int)
    inverse[order] = np.arange(n)
    gram = gram[np.ix_(inverse, inverse)]
    projected = projected[inverse]
    return gram - projected[:, None] - projected[None, :] + mean64 @ mean64



def sample_span(X: np.ndarray, block: int = 8192) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, eigenvalues, eigenvectors) of the centred Gram matrix, largest first: the principal axes
    of n samples in d >= n dimensions, without forming anything d x d or copying X."""
    mean = X.mean(axis=0, dtype=np.float64).astype(np.float32)
    values, vectors = np.linalg.eigh(centred_gram(X, mean, block))
    order = np.argsort(values)[::-1]
    return mean, np.clip(values[order], 0.0, None), vectors[:, order]


class ChunkedPCA(TransformerMixin, BaseEstimator):
    """Keep the leading components that explain `variance` of the total (0 < variance <= 1).

    solver: "exact" (the Gram or covariance matrix), "randomized" (subspace iteration, growing its rank
    up to `max_rank`, then exact if that still falls short), or "auto": randomized for wide data with
    more than 500 samples, exact otherwise.

    Attributes after fit, as in scikit-learn's PCA: mean_, components_ (k, d), explained_variance_,
    explained_variance_ratio_ (of every component found, not only the kept ones: for the plot; the
    randomized solver finds its subspace's), n_components_, solver_ (the one that produced the result).
    """

    def __init__(self, variance: float = 0.75, block: int = 8192, solver: str = "auto", max_rank: int = 256,
                 seed: int = 0):
        self.variance = variance
        self.block = block
        self.solver = solver
        self.max_rank = max_rank
        self.seed = seed

    def fit(self, X, y=None):
        if not 0 < self.variance <= 1:
            raise GymlError(f"PCA variance share must be in (0, 1], got {self.variance}")
        if self.solver not in ("auto", "exact", "randomized"):
            raise GymlError(f"unknown PCA solver '{self.solver}' (choose from auto, exact, randomized)")
        X = np.asarray(X)
        n, d = X.shape
        randomized = n <= d and (self.solver == "randomized" or (self.solver == "auto" and n > 500))
        if randomized and self._fit_randomized(X):
            return self
        if n <= d:
            self.mean_, values, vectors = sample_span(X, self.block)
        else:
            self.mean_ = X.mean(axis=0, dtype=np.float64).astype(np.float32)
            cov = np.zeros((d, d))
            for rows in column_blocks(n, self.block):
                xc = X[rows] - self.mean_
                cov += xc.T @ xc
            values, vectors = np.linalg.eigh(cov)
            order = np.argsort(values)[::-1]
            values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
        total = values.sum()
        if total <= 0:
            raise GymlError("PCA on constant data: every feature has the same value in every sample")
        ratio = values / total
        k = self._kept(ratio, values)
        if n <= d:
            components = np.empty((k, d), np.float32)
            scale = 1.0 / np.sqrt(values[:k])
            for cols in column_blocks(d, self.block):
                xc = X[:, cols] - self.mean_[cols]
                components[:, cols] = ((vectors[:, :k].T @ xc) * scale[:, None]).astype(np.float32)
        else:
            components = vectors[:, :k].T.astype(np.float32)
        self._store(components, values, ratio, n, k, "exact")
        return self

    def _kept(self, ratio: np.ndarray, values: np.ndarray) -> int:
        k = int(np.searchsorted(np.cumsum(ratio), self.variance - 1e-12) + 1)
        return min(k, int((values > 1e-12 * values[0]).sum()))

    def _store(self, components, values, ratio, n, k, solver):
        self.components_ = components
        self.explained_variance_ = values[: min(len(values), n - 1 if n > 1 else 1)] / max(n - 1, 1)
        self.explained_variance_ratio_ = ratio[: len(self.explained_variance_)]
        self.n_components_ = k
        self.solver_ = solver

    def _fit_randomized(self, X: np.ndarray) -> bool:
        """Grow the subspace until its leading components explain the share with ten spare
        dimensions (the spare ones absorb the error of the ones kept); False when `max_rank` is not enough."""
        n = len(X)
        mean = X.mean(axis=0, dtype=np.float64).astype(np.float32)
        total = total_variance(X, mean, self.block)
        if total <= 0:
            raise GymlError("PCA on constant data: every feature has the same value in every sample")
        layout = PaddedLayout(X, self.block)
        rank = 32
        while rank <= min(self.max_rank, n - 1):
            values, axes = randomized_span(X, mean, rank, layout, seed=self.seed)
            ratio = values / total
            if ratio.sum() >= self.variance:
                k = self._kept(ratio, values)
                if k <= rank - 10:
                    self.mean_ = mean
                    self._store(np.ascontiguousarray(axes[:k]), values, ratio, n, k, "randomized")
                    return True
            rank *= 2
        return False

    def transform(self, X):
        check_is_fitted(self, "components_")
        X = np.asarray(X)
        out = np.zeros((X.shape[0], self.n_components_), np.float64)
        for cols in column_blocks(X.shape[1], self.block):
            out += (X[:, cols] - self.mean_[cols]) @ self.components_[:, cols].T
        return out


class SpanLinearClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression (multinomial or one-vs-rest, SAGA) on all d features, solved in the span of
    the n training samples when n << d.

    An L2-penalised linear model's weights lie in the span of its (centred) training samples, and the
    penalty is the same in any orthonormal basis of that span, so fitting on the samples' coordinates in
    that basis (the Gram matrix's eigenvectors times the singular values) gives exactly the model fitted
    on the raw features. Its weights are then mapped back to the d features block by block: a model the
    size of the no-PCA one, without a d x n basis in memory.
    """

    def __init__(self, model: str = "multinomial", max_iter: int = 300, seed: int = 0, block: int = 8192):
        self.model = model
        self.max_iter = max_iter
        self.seed = seed
        self.block = block

    def fit(self, X, y):
        from gyml.classify.model import make_estimator  # the same solver settings as every other model

        X = np.asarray(X)
        mean, values, vectors = sample_span(X, self.block)
        rank = int((values > 1e-10 * max(values[0], 1e-300)).sum())
        singular = np.sqrt(values[:rank])
        scores = vectors[:, :rank] * singular                      # the samples' coordinates in the span
        inner = make_estimator(self.model, pca=None, max_iter=self.max_iter, seed=self.seed).fit(scores, y)
        clf = inner.named_steps["clf"]
        if self.model == "ovr":
            weights = np.vstack([e.coef_ for e in clf.estimators_])
            intercept = np.concatenate([e.intercept_ for e in clf.estimators_])
        else:
            weights, intercept = clf.coef_, clf.intercept_
        # decision(x) = (x - mean) V w' + b with V = Xc' U / s: fold V into the weights
        mix = weights @ (vectors[:, :rank] / singular).T           # (classes, n)
        coef = np.empty((len(weights), X.shape[1]), np.float32)
        for cols in column_blocks(X.shape[1], self.block):
            coef[:, cols] = mix @ (X[:, cols] - mean[cols])
        self.coef_ = coef
        self.intercept_ = intercept - coef.astype(np.float64) @ mean.astype(np.float64)
        self.classes_ = clf.classes_
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X):
        check_is_fitted(self, "coef_")
        X = np.asarray(X)
        out = np.tile(self.intercept_, (len(X), 1))
        for cols in column_blocks(X.shape[1], self.block):
            out += X[:, cols] @ self.coef_[:, cols].T
        return out

    def predict_proba(self, X):
        z = self.decision_function(X)
        if self.model == "ovr":
            p = 1.0 / (1.0 + np.exp(-z))
        else:
            p = np.exp(z - z.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X):
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]

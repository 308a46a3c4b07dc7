"""PCA that keeps a share of the variance, exact, for data far wider than it is tall.

The paper's padded features are 7,204 sequences x 222,408 numbers. scikit-learn's exact PCA factorises
the whole matrix (and copies it in float64): hours and tens of gigabytes. With n samples << d features
the principal axes live in the span of the samples, so the n x n Gram matrix of the centred data holds
everything: its eigenvectors U and eigenvalues L give the components Xc' U / sqrt(L). The Gram matrix is
accumulated over column blocks of float32 input, so memory stays at the input plus n x n.
When d <= n, the d x d covariance is the smaller matrix and is used instead.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from gyml.errors import GymlError


class ChunkedPCA(TransformerMixin, BaseEstimator):
    """Keep the leading components that explain `variance` of the total (0 < variance <= 1).

    Attributes after fit, as in scikit-learn's PCA: mean_, components_ (k, d), explained_variance_,
    explained_variance_ratio_ (of every component found, not only the kept ones: for the plot),
    n_components_.
    """

    def __init__(self, variance: float = 0.75, block: int = 8192):
        self.variance = variance
        self.block = block

    def _blocks(self, d: int):
        for lo in range(0, d, self.block):
            yield slice(lo, min(d, lo + self.block))

    def fit(self, X, y=None):
        if not 0 < self.variance <= 1:
            raise GymlError(f"PCA variance share must be in (0, 1], got {self.variance}")
        X = np.asarray(X)
        n, d = X.shape
        self.mean_ = X.mean(axis=0, dtype=np.float64).astype(np.float32)
        if n <= d:
            gram = np.zeros((n, n))
            for cols in self._blocks(d):
                xc = X[:, cols] - self.mean_[cols]
                gram += xc @ xc.T
            values, vectors = np.linalg.eigh(gram)
        else:
            cov = np.zeros((d, d))
            for rows in self._blocks(n):
                xc = X[rows] - self.mean_
                cov += xc.T @ xc
            values, vectors = np.linalg.eigh(cov)
        order = np.argsort(values)[::-1]
        values = np.clip(values[order], 0.0, None)
        vectors = vectors[:, order]
        total = values.sum()
        if total <= 0:
            raise GymlError("PCA on constant data: every feature has the same value in every sample")
        ratio = values / total
        k = int(np.searchsorted(np.cumsum(ratio), self.variance - 1e-12) + 1)
        k = min(k, int((values > 1e-12 * values[0]).sum()))
        if n <= d:
            components = np.empty((k, d), np.float32)
            scale = 1.0 / np.sqrt(values[:k])
            for cols in self._blocks(d):
                xc = X[:, cols] - self.mean_[cols]
                components[:, cols] = ((vectors[:, :k].T @ xc) * scale[:, None]).astype(np.float32)
        else:
            components = vectors[:, :k].T.astype(np.float32)
        self.components_ = components
        self.explained_variance_ = values[: min(len(values), n - 1 if n > 1 else 1)] / max(n - 1, 1)
        self.explained_variance_ratio_ = ratio[: len(self.explained_variance_)]
        self.n_components_ = k
        return self

    def transform(self, X):
        check_is_fitted(self, "components_")
        X = np.asarray(X)
        out = np.zeros((X.shape[0], self.n_components_), np.float64)
        for cols in self._blocks(X.shape[1]):
            out += (X[:, cols] - self.mean_[cols]) @ self.components_[:, cols].T
        return out

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


def centred_gram(X: np.ndarray, mean: np.ndarray, block: int = 8192) -> np.ndarray:
    """(X - mean)(X - mean)' from the raw Gram matrix, skipping the zeros of padded data.

    Rows are taken longest first, so in each column block the rows with anything there are a prefix
    (zero-padded sequences end early); BLAS syrk fills one triangle of each block's product. Then the
    Gram matrix is centred exactly.
    """
    n = len(X)
    blocks = list(column_blocks(X.shape[1], block))
    reach = np.zeros(n, int)                      # the last column block where each row is non-zero
    for b, cols in enumerate(blocks):
        reach[np.any(X[:, cols] != 0, axis=1)] = b
    order = np.argsort(-reach, kind="stable")
    mean64 = np.asarray(mean, dtype=np.float64)
    gram = np.zeros((n, n))
    projected = np.zeros(n)                       # X @ mean, in `order`
    for b, cols in enumerate(blocks):
        m = int((reach >= b).sum())
        if m == 0:
            break
        rows = X[order[:m], cols]
        gram[:m, :m] += ssyrk(1.0, rows.T, trans=1)  # upper triangle of rows @ rows.T; rows.T is Fortran-ordered, no copy
        projected[:m] += rows @ mean64[cols]
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

    Attributes after fit, as in scikit-learn's PCA: mean_, components_ (k, d), explained_variance_,
    explained_variance_ratio_ (of every component found, not only the kept ones: for the plot),
    n_components_.
    """

    def __init__(self, variance: float = 0.75, block: int = 8192):
        self.variance = variance
        self.block = block

    def fit(self, X, y=None):
        if not 0 < self.variance <= 1:
            raise GymlError(f"PCA variance share must be in (0, 1], got {self.variance}")
        X = np.asarray(X)
        n, d = X.shape
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
        k = int(np.searchsorted(np.cumsum(ratio), self.variance - 1e-12) + 1)
        k = min(k, int((values > 1e-12 * values[0]).sum()))
        if n <= d:
            components = np.empty((k, d), np.float32)
            scale = 1.0 / np.sqrt(values[:k])
            for cols in column_blocks(d, self.block):
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

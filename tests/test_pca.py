"""ChunkedPCA: the same answer as scikit-learn's exact PCA, for wide and tall data, without a float64 copy."""

import numpy as np
import pytest
from sklearn.decomposition import PCA

from gyml.classify.model import ExerciseModel, make_estimator
from gyml.classify.pca import ChunkedPCA
from gyml.errors import GymlError


def _low_rank(n, d, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, 5)) @ rng.normal(size=(5, d)) * 3 + rng.normal(size=(n, d))).astype(np.float32)


@pytest.mark.parametrize("n,d", [(60, 700), (400, 30)])
def test_matches_sklearn_exact_pca(n, d):
    X = _low_rank(n, d)
    ours = ChunkedPCA(0.75, block=64).fit(X)
    ref = PCA(0.75, svd_solver="full").fit(X.astype(np.float64))
    assert ours.n_components_ == ref.n_components_
    # components are defined up to sign
    np.testing.assert_allclose(np.abs(ours.transform(X)), np.abs(ref.transform(X)), atol=1e-3)
    k = ref.n_components_
    np.testing.assert_allclose(ours.explained_variance_ratio_[:k], ref.explained_variance_ratio_, atol=1e-5)


def test_keeps_more_components_for_more_variance():
    X = _low_rank(80, 300)
    assert ChunkedPCA(0.5).fit(X).n_components_ < ChunkedPCA(0.99).fit(X).n_components_


def test_rejects_a_bad_share_and_constant_data():
    with pytest.raises(GymlError):
        ChunkedPCA(1.5).fit(_low_rank(10, 20))
    with pytest.raises(GymlError):
        ChunkedPCA(0.75).fit(np.ones((10, 20), np.float32))


def test_a_model_with_it_saves_and_loads(tmp_path):
    X = _low_rank(90, 400)
    y = np.repeat(["a", "b", "c"], 30)
    X[y == "b"] += 2.0
    est = make_estimator("multinomial", 0.75).fit(X, y)
    model = ExerciseModel(est, ["a", "b", "c"], {}, "paper", {"pca": 0.75})
    loaded = ExerciseModel.load(model.save(tmp_path / "m.gyml"))
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), atol=1e-6)


def test_span_classifier_is_logistic_regression_on_all_features(monkeypatch):
    """Solved to convergence, the span solution and scikit-learn's on the raw features coincide."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    import gyml.classify.model as model_module
    from gyml.classify.pca import SpanLinearClassifier

    def converged(model="multinomial", pca=None, scale=False, max_iter=300, seed=0, wide=False):
        return Pipeline([("clf", LogisticRegression(solver="lbfgs", max_iter=20000, tol=1e-10))])

    monkeypatch.setattr(model_module, "make_estimator", converged)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 1500)).astype(np.float32)
    y = np.repeat(["a", "b", "c"], 30)
    X[y == "b", :30] += 0.5
    X[y == "c", 30:60] += 0.5
    reference = LogisticRegression(solver="lbfgs", max_iter=20000, tol=1e-10).fit(X, y)
    ours = SpanLinearClassifier(block=256).fit(X, y)
    assert ours.coef_.shape == (3, 1500)
    test = rng.normal(size=(40, 1500)).astype(np.float32)
    np.testing.assert_allclose(ours.predict_proba(test), reference.predict_proba(test), atol=2e-3)


def test_wide_training_without_pca_saves_and_loads(tmp_path):
    X = _low_rank(60, 900)
    y = np.repeat(["a", "b", "c"], 20)
    X[y == "b"] += 1.0
    for model in ("multinomial", "ovr"):
        est = make_estimator(model, None, wide=True).fit(X, y)
        saved = ExerciseModel(est, ["a", "b", "c"], {}, "paper", {}).save(tmp_path / f"{model}.gyml")
        loaded = ExerciseModel.load(saved)
        np.testing.assert_allclose(loaded.predict_proba(X), est.predict_proba(X), atol=1e-9)
        assert (loaded.estimator.predict(X) == y).mean() > 0.9


def _padded_sequences(n, frames, seed=0):
    """Wide rows like the paper's: smooth low-rank motion, zero-padded after each sequence's end."""
    rng = np.random.default_rng(seed)
    d = 72 * frames
    basis = rng.normal(size=(20, d)).astype(np.float32)
    X = (rng.normal(size=(n, 20)) * 4 * 0.8 ** np.arange(20)).astype(np.float32) @ basis
    X += rng.normal(size=(n, d)).astype(np.float32) * 0.5
    for row in X:
        row[72 * int(rng.integers(frames // 3, frames)):] = 0
    return X


def test_randomized_solver_finds_the_exact_components():
    X = _padded_sequences(600, 150)
    fast = ChunkedPCA(0.75, solver="auto").fit(X)
    exact = ChunkedPCA(0.75, solver="exact").fit(X)
    assert fast.solver_ == "randomized" and exact.solver_ == "exact"
    assert fast.n_components_ == exact.n_components_
    k = exact.n_components_
    np.testing.assert_allclose(fast.explained_variance_ratio_[:k], exact.explained_variance_ratio_[:k], rtol=1e-4)
    scale = np.abs(exact.transform(X)).max()
    np.testing.assert_allclose(np.abs(fast.transform(X)), np.abs(exact.transform(X)), atol=1e-3 * scale)


def test_randomized_solver_hands_over_when_the_share_needs_too_many_components():
    X = _padded_sequences(600, 150)
    pca = ChunkedPCA(0.99, solver="randomized", max_rank=64).fit(X)
    assert pca.solver_ == "exact"
    assert pca.n_components_ == ChunkedPCA(0.99, solver="exact").fit(X).n_components_ > 54


def _warped_curves(n, seed):
    """Two classes of 2-channel rep curves, each rep's timing warped at random (a slow or quick descent):
    a plain rise and fall (A), or one that dips half-way back at the top before falling (B)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, 32)
    X, y = [], []
    for i in range(n):
        warp = t ** rng.uniform(0.35, 2.8)
        label = "ab"[i % 2]
        bump = np.sin(np.pi * warp) * 90
        if label == "b":
            bump = bump - 45 * np.exp(-((warp - 0.5) / 0.08) ** 2)
        curve = np.stack([bump, np.cos(2 * np.pi * warp) * 20], axis=1)
        X.append((curve + rng.normal(0, 2, curve.shape)).reshape(-1))
        y.append(label)
    return np.array(X), np.array(y)


def test_dtw_neighbours_classify_warped_curves_and_save(tmp_path):
    from gyml.classify.neighbors import DTWNeighbors

    X, y = _warped_curves(10, 1)      # few examples: the timings they show are not the ones tested
    Xt, yt = _warped_curves(40, 11)
    dtw = DTWNeighbors(channels=2).fit(X, y)
    euclidean = make_estimator("knn", None).fit(X, y)
    assert (dtw.predict(Xt) == yt).mean() >= 0.9 > (euclidean.predict(Xt) == yt).mean() + 0.2
    est = make_estimator("knn_dtw", None).set_params(clf__channels=2).fit(X, y)
    saved = ExerciseModel(est, ["a", "b"], {}, "rep_curve", {}).save(tmp_path / "dtw.gyml")
    np.testing.assert_array_equal(ExerciseModel.load(saved).estimator.predict(Xt), dtw.predict(Xt))
    with pytest.raises(GymlError, match="values a step"):
        DTWNeighbors(channels=3).fit(X[:, :-2], y)

"""The DTW vote on counted reps, and the sensor blend that carries it as a third member."""

import numpy as np
import pytest

from gyml.classify.build_default import FeatureTable, fit_by_sensor, sensor_reps, with_reps
from gyml.classify.default import model_features, predict
from gyml.classify.features import motion_features
from gyml.classify.model import ExerciseModel, single_threaded
from gyml.classify.rep_neighbors import (
    MAX_REPS,
    STEPS,
    TRAJECTORY_CHANNELS,
    RepNeighbors,
    half_turned,
    pack,
    rep_trajectories,
    unpack,
)
from gyml.classify.sensor_blend import SensorBlend
from gyml.pose.sensor_twin import random_camera, repcount_twin
from gyml.reps.counter import count_reps
from gyml.synth import SynthConfig, synthesize
from tests.conftest import reps_cut_at_the_top

LABELS = ("squat", "front_raise", "jumping_jack", "push_up")


def _twins(seed: int, per_label: int = 2):
    """RepCount-like recordings (the sensor twin of synthesised sets seen by a random camera)."""
    rng = np.random.default_rng(seed)
    out = []
    for i, label in enumerate(LABELS * per_label):
        seq = synthesize(label, int(rng.integers(3, 7)), seed=seed * 100 + i, config=SynthConfig(noise_m=0.005))
        out.append((label, repcount_twin(seq, random_camera(rng))))
    return out


@pytest.fixture(scope="module")
def train():
    return _twins(1)


def test_one_trajectory_per_counted_rep_capped_and_packed():
    seq = synthesize("squat", 5, seed=3, config=SynthConfig(noise_m=0.005))
    counted = count_reps(seq)
    traj = rep_trajectories(seq, reps=counted)
    assert traj.shape == (counted.count, STEPS, len(TRAJECTORY_CHANNELS))
    assert np.isfinite(traj).all()
    long_set = synthesize("squat", 16, seed=4, config=SynthConfig(noise_m=0.005))
    assert len(rep_trajectories(long_set)) == MAX_REPS
    packed = pack([traj, traj[:2]])
    np.testing.assert_allclose(unpack(packed[0]), traj)
    assert len(unpack(packed[1])) == 2


def test_half_turned_reps_close_again_and_turn_back():
    seq = synthesize("squat", 5, seed=3, config=SynthConfig(noise_m=0.005))
    traj = rep_trajectories(seq)
    turned = half_turned(traj)
    assert turned.shape == traj.shape
    np.testing.assert_allclose(turned[:, 0], traj[:, (STEPS - 1) // 2])
    np.testing.assert_allclose(half_turned(turned)[:, 1:], traj[:, :-1])   # back, one step on


def test_the_phase_free_vote_matches_reps_cut_at_their_turning_point():
    config = SynthConfig(noise_m=0.005)
    labels = ("jumping_jack", "push_up", "pull_up", "sit_up", "squat") * 2
    training = [synthesize(label, 5, seed=40 + i, config=config) for i, label in enumerate(labels)]
    X_train = pack([rep_trajectories(seq) for seq in training])
    queries = [synthesize(label, 6, seed=500 + i, config=config) for i, label in enumerate(labels)]
    at_rest = pack([rep_trajectories(seq) for seq in queries])
    at_the_top = pack([rep_trajectories(seq, reps=reps_cut_at_the_top(seq)) for seq in queries])
    plain = RepNeighbors().fit(X_train, labels)
    free = RepNeighbors(phase_free=True).fit(X_train, labels)
    truth = np.array(labels)
    assert (plain.predict(at_rest) == truth).all() and (free.predict(at_rest) == truth).all()
    assert (plain.predict(at_the_top) == truth).mean() <= 0.6      # half a cycle off: another exercise
    assert (free.predict(at_the_top) == truth).all()
    # the counted phase is one of the two tried: never farther than before
    assert (free.distances(at_rest) <= plain.distances(at_rest) + 1e-12).all()


def test_the_vote_names_new_recordings_by_their_nearest_reps(train):
    test = _twins(2)
    model = RepNeighbors().fit(pack([rep_trajectories(s) for _, s in train]), [lab for lab, _ in train])
    X = pack([rep_trajectories(s) for _, s in test])
    right = model.predict(X) == np.array([lab for lab, _ in test])
    assert right.mean() >= 0.75, right
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(np.unique(proba)) <= {0.0, 1 / 3, 2 / 3, 1.0}


def test_the_sensor_blend_mixes_thirds_and_falls_back_without_reps(train, tmp_path):
    general = [(label, synthesize(label, 4, seed=50 + i, config=SynthConfig(noise_m=0.005)))
               for i, label in enumerate(LABELS * 2)]
    recorded = general + train
    seqs = [s for _, s in recorded]
    X = np.stack([motion_features(s) for s in seqs])
    y = np.array([lab for lab, _ in recorded])
    sensors = np.array([s.source for s in seqs])
    reps = sensor_reps(seqs)
    assert np.isnan(reps[sensors != "repcount"]).all() and np.isfinite(reps[sensors == "repcount", 0]).all()
    empty = FeatureTable(X[:0], y[:0], y[:0], y[:0], [])
    fitted = fit_by_sensor(X, y, sensors, empty, seed=0, reps=reps)
    blend = fitted["repcount"]
    assert isinstance(blend, SensorBlend) and isinstance(blend.vote_, RepNeighbors)
    base = single_threaded(fitted.pop(None))
    model = ExerciseModel(base, list(LABELS), {k: k for k in LABELS}, "motion",
                          {"sensor_rep_votes": ["repcount"]}, {k: single_threaded(v) for k, v in fitted.items()})
    loaded = ExerciseModel.load(model.save(tmp_path / "m.gyml"))

    query = _twins(3, per_label=1)
    rows = with_reps(np.stack([motion_features(s) for _, s in query]), sensor_reps([s for _, s in query]))
    n = X.shape[1]
    parts = [blend.general_.predict_proba(rows[:, :n]), blend.own_.predict_proba(rows[:, :n]),
             blend.vote_.predict_proba(rows[:, n:])]
    np.testing.assert_allclose(loaded.predict_proba(rows, sensor="repcount"), np.mean(parts, axis=0), atol=1e-9)
    # input without trajectories: the forest and the logistic regression, halves
    np.testing.assert_allclose(loaded.predict_proba(rows[:, :n], sensor="repcount"),
                               np.mean(parts[:2], axis=0), atol=1e-9)
    # an analysis hands the counted reps on; the features then carry the trajectories
    _, seq = query[0]
    counted = count_reps(seq)
    features = model_features(loaded, seq, reps=counted)
    assert features.shape == (1, rows.shape[1])
    np.testing.assert_allclose(features[0, n:], rows[0, n:], equal_nan=True)
    assert predict(loaded, seq, reps=counted).label in LABELS


def _plain_dtw(a: np.ndarray, b: np.ndarray, band: float) -> float:
    """The textbook recursion, cell by cell: mean absolute channel difference, a Sakoe-Chiba band of `band`
    of the longer length around the diagonal (at least the length difference), cost / (n + m)."""
    n, m = len(a), len(b)
    width = max(int(np.ceil(band * max(n, m))), abs(n - m) + 1)
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            if abs((j - 1) - (i - 1) * (m - 1) / max(n - 1, 1)) <= width:
                local = np.abs(a[i - 1] - b[j - 1]).mean()
                acc[i, j] = local + min(acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1])
    return acc[n, m] / (n + m)


@pytest.mark.parametrize("band", [0.1, 0.3, 1.0])
def test_the_batched_warping_is_the_coachs_dtw_for_every_query(band):
    from gyml.coach.align import dtw_cost_matrix, dtw_distances

    rng = np.random.default_rng(5)
    queries, references = rng.normal(size=(4, 20, 3)), rng.normal(size=(6, 26, 3))
    expected = np.stack([dtw_distances(q, references, band) for q in queries])
    np.testing.assert_allclose(dtw_cost_matrix(queries, references, band), expected, rtol=1e-12)
    plain = np.array([[_plain_dtw(q, r, band) for r in references] for q in queries])
    np.testing.assert_allclose(expected, plain, rtol=1e-12)

"""A sensor's estimator: the general forest averaged with a small model of the sensor's own recordings;
and folds that deal each source's people round on their own."""

import numpy as np
import pytest

from gyml.classify.build_default import FeatureTable, fit_by_sensor, fold_of, make_classifier
from gyml.classify.model import ExerciseModel, single_threaded
from gyml.classify.sensor_blend import SensorBlend, own_model


def _two_sensors(rng, n_general=300, n_own=24):
    """Three classes. For the general sensor the class shows in column 0; the other sensor distorts that
    column (shifted per class) and shows the class in column 1 instead, which the general data leaves as
    noise: only that sensor's few recordings teach it."""
    y_general = rng.choice(["a", "b", "c"], n_general)
    X_general = rng.normal(size=(n_general, 6))
    X_general[:, 0] += np.select([y_general == "a", y_general == "b"], [0, 3], 6)
    y_own = np.array(["a", "b", "c"] * (n_own // 3))
    X_own = rng.normal(size=(len(y_own), 6))
    X_own[:, 0] += np.select([y_own == "a", y_own == "b"], [6, 0], 3)   # the sensor's distortion
    X_own[:, 1] += np.select([y_own == "a", y_own == "b"], [0, 4], 8)
    return X_general, y_general, X_own, y_own


def test_the_blend_learns_what_only_the_sensors_own_recordings_show():
    forest_right, blend_right, own_right = [], [], []
    for seed in range(3):
        Xg, yg, Xo, yo = _two_sensors(np.random.default_rng(seed))
        _, _, Xt, yt = _two_sensors(np.random.default_rng(seed + 10), n_general=3, n_own=60)
        X, y = np.vstack([Xg, Xo]), np.concatenate([yg, yo])
        own = np.r_[np.zeros(len(yg), bool), np.ones(len(yo), bool)]
        weights = np.where(own, 4.0, 1.0)
        forest = make_classifier(0).fit(X, y, clf__sample_weight=weights)
        blend = SensorBlend(make_classifier(0), own_model(), 0.5).fit(X, y, sample_weight=weights, own_rows=own)
        forest_right.append(np.mean(forest.predict(Xt) == yt))
        blend_right.append(np.mean(blend.predict(Xt) == yt))
        own_right.append(np.mean(blend.own_.predict(Xt) == yt))
    # the general data outvotes the sensor's few recordings in the forest even weighted up; the blend
    # recovers part of what the small model sees
    assert np.mean(own_right) > 0.85
    assert np.mean(blend_right) > np.mean(forest_right) + 0.03


def test_blend_probabilities_are_the_stated_mix_over_the_general_classes():
    rng = np.random.default_rng(2)
    Xg, yg, Xo, yo = _two_sensors(rng)
    yg = np.where(yg == "c", "d", yg)          # a class only the general data shows
    X, y = np.vstack([Xg, Xo]), np.concatenate([yg, yo])
    own = np.r_[np.zeros(len(yg), bool), np.ones(len(yo), bool)]
    blend = single_threaded(SensorBlend(make_classifier(0), own_model(), 0.3).fit(X, y, own_rows=own))
    assert list(blend.classes_) == ["a", "b", "c", "d"]
    proba = blend.predict_proba(Xo[:5])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    general = blend.general_.predict_proba(Xo[:5])
    own_part = blend.own_.predict_proba(Xo[:5])
    expected = 0.7 * general
    expected[:, [0, 1, 2]] += 0.3 * own_part
    np.testing.assert_allclose(proba, expected)
    assert blend.get_params()["general__clf__n_jobs"] == 1


def test_a_sensor_showing_one_class_only_is_judged_by_the_general_forest():
    rng = np.random.default_rng(3)
    Xg, yg, Xo, yo = _two_sensors(rng)
    own = np.r_[np.zeros(len(yg), bool), yo == "a"]
    X, y = np.vstack([Xg, Xo]), np.concatenate([yg, yo])
    blend = SensorBlend(make_classifier(0), own_model(), 0.5).fit(X, y, own_rows=own)
    assert blend.own_ is None
    np.testing.assert_allclose(blend.predict_proba(Xo), blend.general_.predict_proba(Xo))


def test_the_blended_sensor_model_survives_the_safe_loader(tmp_path):
    rng = np.random.default_rng(4)
    Xg, yg, Xo, yo = _two_sensors(rng)
    X, y = np.vstack([Xg, Xo]), np.concatenate([yg, yo])
    sensors = np.array(["video"] * len(yg) + ["repcount"] * len(yo))
    empty = FeatureTable(X[:0], y[:0], y[:0], y[:0], [])
    fitted = fit_by_sensor(X, y, sensors, empty, seed=0)
    assert isinstance(fitted["repcount"], SensorBlend)
    base = single_threaded(fitted.pop(None))
    model = ExerciseModel(base, ["a", "b", "c"], {k: k for k in "abc"}, "motion", {},
                          {k: single_threaded(v) for k, v in fitted.items()})
    loaded = ExerciseModel.load(model.save(tmp_path / "m.gyml"))
    np.testing.assert_allclose(loaded.predict_proba(Xo[:3], sensor="repcount"),
                               model.predict_proba(Xo[:3], sensor="repcount"))
    assert not np.allclose(loaded.predict_proba(Xo[:3], sensor="repcount"), loaded.predict_proba(Xo[:3]))


@pytest.mark.parametrize("by_source", [True, False])
def test_folds_keep_each_group_whole(by_source):
    rng = np.random.default_rng(5)
    groups, sources = [], []
    for g in range(12):
        groups += [f"ucf101:{g}"] * int(rng.integers(20, 40))
        sources += ["ucf101"] * (len(groups) - len(sources))
    for source, people in (("repcount", 18), ("counted", 4), ("form", 9)):
        for p in range(people):
            n = int(rng.integers(1, 7))
            groups += [f"{source}:p{p}"] * n
            sources += [source] * n
    groups, sources = np.array(groups), np.array(sources)
    fold = fold_of(groups, sources, 8, by_source=by_source)
    for group in np.unique(groups):
        assert len(np.unique(fold[groups == group])) == 1


def test_folds_deal_each_source_round_on_its_own():
    # many small groups of one source and a fold short of the large source: dealt by total load, the short
    # fold collects the small groups; dealt per source, every fold gets its share
    groups = np.array(["ucf101:a"] * 40 + ["ucf101:b"] * 40 + ["ucf101:c"] * 40
                      + [f"repcount:p{i // 2}" for i in range(36)])
    sources = np.array([g.split(":")[0] for g in groups])
    together = np.bincount(fold_of(groups, sources, 4, by_source=False)[sources == "repcount"], minlength=4)
    apart = np.bincount(fold_of(groups, sources, 4, by_source=True)[sources == "repcount"], minlength=4)
    assert together.max() >= 24
    assert apart.max() - apart.min() <= 2

"""A model that judges input from one sensor (PoseSequence.source) with an estimator of its own."""

import zipfile

import numpy as np
import pytest

from gyml.classify.build_default import FeatureTable, fit_by_sensor
from gyml.classify.default import predict
from gyml.classify.features import motion_features
from gyml.classify.model import ExerciseModel, single_threaded
from gyml.errors import GymlError
from gyml.pose.sensor_twin import random_camera, repcount_twin
from gyml.synth import SynthConfig, synthesize

LABELS = ("squat", "front_raise", "jumping_jack")


def _sets(seed: int):
    return [(label, synthesize(label, 4, seed=seed * 10 + i, config=SynthConfig(noise_m=0.005)))
            for i, label in enumerate(LABELS * 3)]


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(0)
    sets = _sets(1)
    twins = [(label, repcount_twin(seq, random_camera(rng))) for label, seq in sets]
    recorded = sets + twins
    X = np.stack([motion_features(seq) for _, seq in recorded])
    y = np.array([label for label, _ in recorded])
    sensors = np.array([seq.source for _, seq in recorded])
    synth = FeatureTable(X[:0], y[:0], y[:0], y[:0], [])
    fitted = fit_by_sensor(X, y, sensors, synth, seed=0)
    assert set(fitted) == {None, "repcount"}
    base = fitted.pop(None)
    for estimator in (base, *fitted.values()):
        single_threaded(estimator)
    return ExerciseModel(base, list(LABELS), {k: k for k in LABELS}, "motion", {}, fitted)


def test_the_sensors_estimator_answers_for_its_input_and_survives_a_round_trip(model, tmp_path):
    # the sensor's estimator weighs its own recordings up: the same features get other probabilities
    twin = repcount_twin(synthesize("front_raise", 4, seed=77), random_camera(np.random.default_rng(5)))
    x = motion_features(twin)[None]
    assert not np.allclose(model.predict_proba(x, sensor="repcount"), model.predict_proba(x))
    assert np.allclose(model.predict_proba(x, sensor="video"), model.predict_proba(x))

    path = model.save(tmp_path / "m.gyml")
    with zipfile.ZipFile(path) as zf:
        assert "estimator.repcount.skops" in zf.namelist()
    loaded = ExerciseModel.load(path)
    assert loaded.sensors == ["repcount"]
    # loaded on first use only (most input never meets it), and saved again as it was when never used
    assert "repcount" not in loaded.by_sensor
    again = ExerciseModel.load(loaded.save(tmp_path / "again.gyml"))
    np.testing.assert_allclose(again.predict_proba(x, sensor="repcount"), model.predict_proba(x, sensor="repcount"))
    assert "repcount" in again.by_sensor
    np.testing.assert_allclose(loaded.predict_proba(x, sensor="repcount"), model.predict_proba(x, sensor="repcount"))
    said = predict(loaded, twin)
    assert said.top[0][1] == pytest.approx(loaded.predict_proba(x, sensor="repcount").max())


def test_a_model_file_naming_a_sensor_it_does_not_hold_is_refused(model, tmp_path):
    path = model.save(tmp_path / "m.gyml")
    broken = tmp_path / "broken.gyml"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(broken, "w") as dst:
        for name in src.namelist():
            if name != "estimator.repcount.skops":
                dst.writestr(name, src.read(name))
    with pytest.raises(GymlError, match="not a gyml model file"):
        ExerciseModel.load(broken)


def test_a_sensors_estimator_is_read_from_the_file_only_when_used(model, tmp_path):
    """Read at load, the shipped model's RepCount forest cost every analysis 0.35 s and 130 MB of memory;
    it is read when RepCount input first meets it, from the file loaded, which must not have changed."""
    twin = repcount_twin(synthesize("front_raise", 4, seed=77), random_camera(np.random.default_rng(5)))
    x = motion_features(twin)[None]
    path = model.save(tmp_path / "m.gyml")
    loaded, other = ExerciseModel.load(path), ExerciseModel.load(path)
    assert not any(isinstance(v, bytes) for v in vars(loaded.sensor_payloads).values())
    np.testing.assert_allclose(loaded.predict_proba(x, sensor="repcount"), model.predict_proba(x, sensor="repcount"))
    # another model written over the file after loading (its sensor estimator is the general one): not
    # taken for this one's
    with zipfile.ZipFile(path) as src:
        members = {name: src.read(name) for name in src.namelist()}
    members["estimator.repcount.skops"] = members["estimator.skops"]
    with zipfile.ZipFile(path, "w") as dst:
        for name, data in members.items():
            dst.writestr(name, data)
    with pytest.raises(GymlError, match="m.gyml changed or went away since it was loaded: load it again"):
        other.predict_proba(x, sensor="repcount")
    gone = ExerciseModel.load(model.save(tmp_path / "gone.gyml"))
    (tmp_path / "gone.gyml").unlink()
    with pytest.raises(GymlError, match="gone.gyml changed or went away"):
        gone.predict_proba(x, sensor="repcount")

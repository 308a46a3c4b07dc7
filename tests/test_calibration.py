"""Calibrated confidence: the probability that the top label is right."""

import numpy as np
import pytest

from gyml.classify.calibration import (
    Calibration,
    expected_calibration_error,
    fit_calibration,
    out_of_fold,
)
from gyml.errors import GymlError


def _under_confident(n=300, seed=0):
    """Vote shares that understate how often the label is right, as a forest's do on real video."""
    rng = np.random.default_rng(seed)
    share = rng.uniform(0.05, 0.7, n)
    truth_p = 1 / (1 + np.exp(-(10 * share - 2)))
    return share, rng.random(n) < truth_p, truth_p


def test_platt_scaling_recovers_the_true_probability_out_of_fold():
    share, correct, truth_p = _under_confident()
    fitted = fit_calibration(share, correct)
    assert fitted.coef > 0
    assert np.abs(fitted(share) - truth_p).mean() < 0.05
    oof = out_of_fold(share, correct)
    assert expected_calibration_error(oof, correct) < 0.5 * expected_calibration_error(share, correct)


def test_calibration_round_trips_and_refuses_data_it_cannot_learn_from():
    share, correct, _ = _under_confident(60)
    fitted = fit_calibration(share, correct, fitted_on="test")
    again = Calibration.from_dict(fitted.to_dict())
    assert again == fitted and again.n == 60
    with pytest.raises(GymlError):
        fit_calibration(share, np.ones(60, bool))
    with pytest.raises(GymlError):
        fit_calibration(share[:3], correct[:3])


def test_expected_calibration_error_is_zero_when_confidence_matches_accuracy():
    confidence = np.repeat([0.1, 0.5, 0.9], 10)
    correct = np.concatenate([np.arange(10) < 1, np.arange(10) < 5, np.arange(10) < 9])
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.0)
    assert expected_calibration_error(np.full(30, 0.95), correct) > 0.4


def test_a_calibrated_model_reports_the_probability_and_marks_a_guess_below_even_odds():
    from gyml.classify.default import load_model, predict
    from gyml.classify.features import build_features
    from gyml.synth import synthesize

    model = load_model()
    seq = synthesize("squat", 6, seed=11)
    proba = model.predict_proba(build_features([seq], model.features))[0]
    share, top = proba.max(), model.estimator.classes_[proba.argmax()]
    for coef, intercept, expect_guess in ((6.0, -1.0, False), (1.0, -5.0, True)):
        settings = {k: v for k, v in model.settings.items() if k != "calibration"}
        settings["calibration"] = Calibration(coef, intercept).to_dict()
        calibrated = type(model)(model.estimator, model.labels, model.names, model.features, settings)
        pred = predict(calibrated, seq)
        assert pred.confidence == pytest.approx(Calibration(coef, intercept)(share))
        # unsure or not, the most likely exercise is named (never "unknown"); only the guess mark differs
        assert pred.label == top
        assert pred.guess == expect_guess


def test_runners_up_share_what_the_calibrated_top_label_leaves():
    """The calibration is for the top label: the runners-up split the rest by their vote shares, so a
    class no tree voted for reads 0 and the list never sums past 1."""
    from gyml.classify.default import load_model, predict
    from gyml.classify.features import build_features
    from gyml.synth import synthesize

    model = load_model()
    seq = synthesize("squat", 6, seed=2)   # votes split among several classes
    proba = model.predict_proba(build_features([seq], model.features))[0]
    classes = list(model.estimator.classes_)
    settings = {k: v for k, v in model.settings.items() if k != "calibration"}
    settings["calibration"] = Calibration(1.0, -1.0).to_dict()   # a share of 0 would read 27% through the map
    calibrated = type(model)(model.estimator, model.labels, model.names, model.features, settings)
    pred = predict(calibrated, seq, top=len(classes))
    values = [c for _, c in pred.top]
    assert 0.0 < proba.max() < 1.0
    assert sum(values) == pytest.approx(1.0, abs=1e-6)
    assert values[1:] == sorted(values[1:], reverse=True)
    unvoted = [lab for lab, c in zip(classes, proba) if c == 0.0]
    assert unvoted, "the forest votes for every class on this set: the test needs a class without votes"
    assert all(c == 0.0 for lab, c in pred.top if lab in unvoted)
    first, second = pred.top[1], pred.top[2]
    if second[1] > 0:
        assert first[1] / second[1] == pytest.approx(proba[classes.index(first[0])] / proba[classes.index(second[0])])


@pytest.mark.parametrize("exercise", ["wall_push_up", "handstand_push_up"])
def test_a_recognised_exercise_is_named_as_the_catalog_names_it(exercise):
    # the shipped model file named these two "Wall push up" / "Handstand push up" (from before they joined
    # the catalog), so summaries read "1 rep of wall push up" beside "pull-up"
    from gyml.classify.default import load_model, predict
    from gyml.synth import synthesize
    from gyml.synth.catalog import CATALOG

    pred = predict(load_model(), synthesize(exercise, 6, seed=1))
    assert pred.label == exercise and pred.name == CATALOG[exercise].name

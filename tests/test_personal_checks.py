"""A person's own exercise is coached on the checks its gold supports, not on every check of the catalog."""

import pytest

from gyml.coach.compare import checks_from_gold, gold_profile, measure_reps
from gyml.coach.gold import builtin
from gyml.coach.session import coach_session
from gyml.pose.kinematics import Kinematics
from gyml.report.analysis import ExercisePrediction
from gyml.reps.counter import count_reps
from gyml.synth import synthesize


def _checks(gold):
    kinematics = Kinematics(gold)
    reps = measure_reps(gold, count_reps(gold, kinematics=kinematics), kinematics=kinematics)
    return checks_from_gold(reps, gold_profile(reps))


@pytest.mark.parametrize("exercise,wanted,unwanted", [
    ("squat", {"knees_cave", "forward_lean", "partial_range", "too_fast"}, {"hips_sag", "hips_pike"}),
    ("push_up", {"hips_sag", "hips_pike", "elbows_flare", "asymmetric_arms"}, {"knees_cave", "forward_lean"}),
    ("high_knees", {"partial_range"}, {"knees_cave"}),            # the knees take turns
    ("alternate_curl", {"elbows_flare"}, {"asymmetric_arms"}),    # so do the arms
    ("sit_up", {"partial_range"}, {"hips_sag", "hips_pike"}),     # lying, but the body folds
])
def test_the_checks_follow_what_the_gold_does(exercise, wanted, unwanted):
    checks, moving = _checks(builtin(exercise))
    assert wanted <= set(checks) and not unwanted & set(checks), checks
    assert moving and moving[0] in {"knee", "hip", "elbow", "shoulder"}


def _coached(seq, gold):
    kinematics = Kinematics(seq)
    prediction = ExercisePrediction("my_move", "My move", 1.0, [("my_move", 1.0)])   # not in the catalog
    _, extras = coach_session(seq, count_reps(seq, kinematics=kinematics), prediction, gold=gold,
                              kinematics=kinematics)
    return {(m["rep"], f) for m in extras["rep_metrics"] for f in m["faults"]}


def test_a_personal_squat_is_told_its_caving_knees_and_nothing_a_squat_cannot_do():
    gold = synthesize("squat", 4, seed=101)
    faulty = _coached(synthesize("squat", 8, {3: "knees_cave", 6: "knees_cave"}, seed=1), gold)
    assert {(3, "knees_cave"), (6, "knees_cave")} <= faulty
    clean = _coached(synthesize("squat", 8, seed=2), gold)
    assert not {kind for _, kind in clean} & {"hips_sag", "hips_pike", "elbows_flare"}, clean


def test_a_personal_lunge_is_not_told_of_elbows_it_does_not_bend():
    # every check of the catalog told a clean lunge set "your elbows flare" on all 8 reps
    clean = _coached(synthesize("lunge", 8, seed=1), synthesize("lunge", 4, seed=101))
    assert not {kind for _, kind in clean} & {"elbows_flare", "hips_sag", "asymmetric_arms"}, clean
    assert len(clean) <= 1

"""An exercise named by the person (--exercise) is coached as named, and marked as named, not as a 100%
recognition; when the model is sure the recording shows another exercise, the person is told."""

from gyml.pipeline import analyze_sequence
from gyml.report.analysis import exercise_text
from gyml.synth import SynthConfig, synthesize


def _squats():
    return synthesize("squat", 6, seed=5, config=SynthConfig(noise_m=0.005))


def test_a_squat_named_a_lunge_is_coached_as_a_lunge_and_the_person_is_told_it_looks_like_a_squat():
    a = analyze_sequence(_squats(), "squats", exercise="lunge").analysis
    d = a.to_dict()["exercise"]
    assert d["label"] == "lunge" and d["named"] and d["recognised"]["label"] == "squat"
    assert d["recognised"]["confidence"] >= 0.9
    first = a.feedback[0]
    assert first.severity == "warn" and "looks like a squat" in first.message and "named" in first.message
    assert exercise_text(d).startswith("Alternate Reverse Lunge (named; looks like squat")


def test_a_squat_named_a_squat_is_marked_as_named_and_nothing_more():
    named = analyze_sequence(_squats(), "squats", exercise="squat").analysis
    d = named.to_dict()["exercise"]
    assert d["named"] and d["recognised"] is None and exercise_text(d) == "Squat (named)"
    assert not [f for f in named.feedback if "looks like" in f.message]
    # recognised, it is not marked as named, and the coaching is the same
    seen = analyze_sequence(_squats(), "squats").analysis
    assert "named" not in seen.to_dict()["exercise"] and seen.to_dict()["exercise"]["label"] == "squat"
    assert [f.message for f in seen.feedback] == [f.message for f in named.feedback]

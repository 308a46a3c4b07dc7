import numpy as np

from gyml.pipeline import analyze_sequence
from gyml.reps.coverage import tracking_coverage
from gyml.synth import SynthConfig, synthesize


def _with_lost_frames(seq, start: int, stop: int):
    seq.confidence[start:stop] = 0.0
    seq.joints[start:stop] = np.nan
    return seq


def test_coverage_measures_the_share_and_the_longest_gap_inside_the_set():
    seq = synthesize("squat", 6, seed=2, config=SynthConfig(noise_m=0.0))
    n = len(seq)
    _with_lost_frames(seq, 0, 30)                       # before the person is found: not a gap
    _with_lost_frames(seq, 100, 190)                    # 3 s lost mid-set
    _with_lost_frames(seq, 250, 260)
    cov = tracking_coverage(seq)
    assert abs(cov.longest_gap_s - 90 / seq.fps) < 1e-9
    assert abs(cov.share - (1 - 100 / (n - 30))) < 1e-9


def test_a_set_the_tracker_lost_for_seconds_is_flagged_and_a_clean_one_is_not():
    clean = analyze_sequence(synthesize("squat", 6, seed=2), "x", exercise="squat").analysis
    assert not [f for f in clean.feedback if f.severity == "warn" and "body was found" in f.message]
    assert clean.extras["tracking"]["share"] == 1.0

    lost = synthesize("squat", 6, seed=2)
    mids = [s["mid"] for s in lost.metadata["segments"]]
    _with_lost_frames(lost, mids[2] - 60, mids[3] + 60)  # two reps unseen
    a = analyze_sequence(lost, "x", exercise="squat").analysis
    warnings = [f for f in a.feedback if f.severity == "warn" and "body was found" in f.message]
    assert len(warnings) == 1 and warnings[0].rep is None
    assert "may be low" in a.summary
    assert a.extras["tracking"]["longest_gap_s"] > 3.0

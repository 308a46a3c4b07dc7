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


def test_a_real_clip_whose_feet_leave_the_picture_is_warned_and_a_whole_body_clip_is_not():
    """UCF101 clips as MediaPipe read them: a jumping jack filmed with the feet below the picture's edge
    (its image landmarks say so in every frame) against a squat filmed whole."""
    from conftest import shared_path

    from gyml.pose.sequence import PoseSequence

    poses = shared_path("ucf101") / "poses"
    cut = PoseSequence.load(poses / "v_JumpingJack_g10_c01.npz")
    whole = PoseSequence.load(poses / "v_BodyWeightSquats_g15_c01.npz")
    ankles_y = cut.image_landmarks[cut.present][:, [27, 28], 1]
    assert (ankles_y > 1.0).all(axis=1).mean() > 0.9
    said = analyze_sequence(cut, "cut").analysis
    warned = [f for f in said.feedback if f.severity == "warn" and "feet were hardly seen" in f.message]
    assert len(warned) == 1 and warned[0].rep is None
    assert said.extras["tracking"]["feet_visibility"] < 0.3
    quiet = analyze_sequence(whole, "whole").analysis
    assert not [f for f in quiet.feedback if "feet were hardly seen" in f.message]
    assert quiet.extras["tracking"]["feet_visibility"] > 0.9


def test_poses_from_other_sources_get_no_feet_verdict():
    """Synthesised (or 3D keypoint) poses carry no camera visibility: nothing is said about the framing."""
    seq = synthesize("squat", 4, seed=5)
    seq.confidence[:, :] = 0.1
    a = analyze_sequence(seq, "x", exercise="squat").analysis
    assert "feet_visibility" not in a.extras["tracking"]
    assert not [f for f in a.feedback if "feet were hardly seen" in f.message]


def test_an_exercise_the_person_named_is_not_said_to_be_maybe_misnamed():
    """The feet warning doubts the recognised name; a name the person gave was not guessed (RepCount's and
    UCF101's push-ups and pull-ups named with --exercise were told "the exercise may be misnamed")."""
    from conftest import shared_path

    from gyml.pose.sequence import PoseSequence

    cut = PoseSequence.load(shared_path("ucf101") / "poses" / "v_JumpingJack_g10_c01.npz")
    named = [f.message for f in analyze_sequence(cut, "cut", exercise="jumping_jack").analysis.feedback
             if "feet were hardly seen" in f.message]
    assert len(named) == 1 and "misnamed" not in named[0] and "checks of the legs are unreliable" in named[0]
    guessed = [f.message for f in analyze_sequence(cut, "cut").analysis.feedback if "feet were hardly seen" in f.message]
    assert len(guessed) == 1 and "the exercise may be misnamed" in guessed[0]

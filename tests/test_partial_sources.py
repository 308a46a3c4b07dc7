"""Sources that hold only some of a layout's points: read what is there, mark the rest absent."""

import numpy as np
from conftest import shared_path

from gyml.pose.readers import read_pose
from gyml.pose.skeleton import JOINT


def test_bodyweight_csv_with_17_of_33_landmarks_reads_every_frame():
    path = shared_path("bodyweight_mistakes", "plank_good.csv")
    seq = read_pose(path, fps=60.0)
    assert seq.present.all()
    assert seq.fps == 60.0
    # No hand points or toes in the file: those joints stay unknown, the body's joints are all there.
    for name in ("left_hand", "right_hand", "left_foot", "right_foot"):
        assert (seq.confidence[:, JOINT[name]] == 0).all()
        assert np.isnan(seq.joints[:, JOINT[name]]).all()
    for name in ("pelvis", "left_shoulder", "right_wrist", "left_ankle", "head", "neck"):
        assert (seq.confidence[:, JOINT[name]] > 0).all()
        assert np.isfinite(seq.joints[:, JOINT[name]]).all()
    # A real adult's shoulders: 0.25-0.5 m apart.
    width = np.linalg.norm(seq.joints[:, JOINT["left_shoulder"]] - seq.joints[:, JOINT["right_shoulder"]], axis=1)
    assert 0.25 < np.median(width) < 0.5


def _squat_take(faults=None, depth=1.0, tempo=1.0):
    from gyml.synth import SynthConfig, synthesize

    # one body filmed from 20 degrees off the front: every draw fixed so each take is the same person
    config = SynthConfig(fps=60.0, height=1.7, depth=depth, tempo_scale=tempo, tempo_drift=0.05, lead_in_s=1.0,
                         lead_out_s=1.0, camera_yaw_deg=20.0, asymmetry_deg=2.0, sway_deg=1.0, noise_m=0.01)
    return synthesize("squat", 6, faults or {}, seed=7, config=config)


def test_squat_takes_stored_as_a_3d_trackers_17_points_are_coached_against_the_good_take(tmp_path):
    # issue 16's squat takes: 17 of MediaPipe's 33 points, no feet; with the good take as gold, knees caving
    # and hips stopping about 12 cm higher are named on most reps, and the good take's halves stay quiet
    from gyml.pipeline import analyze_sequence
    from gyml.synth.writers import write_tracker_csv

    good = read_pose(write_tracker_csv(_squat_take(), tmp_path / "good.csv"), fps=60.0)
    assert good.metadata.get("absent_joints") and "left_foot" in good.metadata["absent_joints"]
    for name, take, kind in (("knees_in", _squat_take({r: "knees_cave" for r in range(1, 7)}, tempo=1.05),
                              "knees_cave"),
                             ("high", _squat_take(depth=0.8, tempo=1.1), "not_low_enough")):
        seq = read_pose(write_tracker_csv(take, tmp_path / f"{name}.csv"), fps=60.0)
        a = analyze_sequence(seq, name, exercise="squat", gold=good).analysis
        reps = {r for f in a.feedback if f.severity == "fault" and f.kind == kind for r in f.reps}
        assert a.reps["count"] == 6 and len(reps) > 3, [f.message for f in a.feedback]
    half = len(good) // 2
    quiet = analyze_sequence(good.slice(half, len(good)), "good", exercise="squat", gold=good.slice(0, half)).analysis
    assert not [f.message for f in quiet.feedback if f.severity == "fault"]

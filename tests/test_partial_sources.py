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

"""Keypoint layouts: each reads from .npy, .json and .csv, absent joints are marked, ambiguity is one line."""

import json

import numpy as np
import pytest
from conftest import shared_path
from typer.testing import CliRunner

from gyml.cli import app
from gyml.errors import GymlError
from gyml.pose.layouts import LAYOUTS, absent_joints, skipped_checks, skipped_note
from gyml.pose.readers import read_pose
from gyml.pose.skeleton import JOINT
from gyml.synth import SynthConfig, synthesize

# Each layout's keypoints as canonical joints (what a tracker in that layout would report for this body);
# "face" points (nose, eyes, ears, head top) sit a few centimetres off the head joint.
L, R = "left_", "right_"
ARM = ("shoulder", "elbow", "wrist")
LEG = ("hip", "knee", "ankle")
POINTS = {
    "coco17": ["face"] * 5 + [s + p for p in ARM for s in (L, R)] + [s + p for p in LEG for s in (L, R)],
    "h36m17": ["pelvis", *[R + p for p in LEG], *[L + p for p in LEG], "spine2", "neck", "face", "face",
               *[L + p for p in ARM], *[R + p for p in ARM]],
    "body18": ["face", "neck", *[R + p for p in ARM], *[L + p for p in ARM], *[R + p for p in LEG],
               *[L + p for p in LEG], "face", "face", "face", "face"],
    "body25": ["face", "neck", *[R + p for p in ARM], *[L + p for p in ARM], "pelvis", *[R + p for p in LEG],
               *[L + p for p in LEG], "face", "face", "face", "face", "left_foot", "left_foot", "left_ankle",
               "right_foot", "right_foot", "right_ankle"],
    "ntu25": ["pelvis", "spine2", "neck", "head", *[L + p for p in (*ARM, "hand")],
              *[R + p for p in (*ARM, "hand")], *[L + p for p in (*LEG, "foot")], *[R + p for p in (*LEG, "foot")],
              "spine3", "left_hand", "left_hand", "right_hand", "right_hand"],
}
LIMBS = [s + p for p in (*ARM, *LEG) for s in (L, R)]


@pytest.fixture(scope="module")
def body():
    return synthesize("squat", 2, seed=3, config=SynthConfig(randomize=False, noise_m=0.0))


def _keypoints(body, layout):
    rng = np.random.default_rng(0)
    pts = []
    for name in POINTS[layout]:
        if name == "face":
            pts.append(body.joints[:, JOINT["head"]] + rng.uniform(-0.04, 0.04, 3))
        else:
            pts.append(body.joints[:, JOINT[name]])
    return np.stack(pts, axis=1).astype(np.float64)


def _check(seq, body, layout):
    assert seq.metadata["layout"] == layout
    assert seq.present.all()
    for name in LIMBS:
        np.testing.assert_allclose(seq.joints[:, JOINT[name]], body.joints[:, JOINT[name]], atol=1e-4)
    lacking = set(seq.metadata["absent_joints"])
    assert lacking == set(absent_joints(seq))
    if layout == "ntu25":
        assert not lacking
    elif layout == "body25":
        assert lacking == {"left_hand", "right_hand"}
    else:
        assert lacking == {"left_hand", "right_hand", "left_foot", "right_foot"}
    for name in lacking:
        assert (seq.confidence[:, JOINT[name]] == 0).all() and np.isnan(seq.joints[:, JOINT[name]]).all()


@pytest.mark.parametrize("layout", list(POINTS))
def test_each_layout_reads_from_npy_json_and_csv(tmp_path, body, layout):
    pts = _keypoints(body, layout)
    np.save(tmp_path / "k.npy", pts)
    (tmp_path / "k.json").write_text(json.dumps({"fps": body.fps, "keypoints": pts.round(6).tolist()}))
    count = pts.shape[1]
    header = ",".join(["frame"] + [f"{a}{k}" for k in range(count) for a in "xyz"])
    rows = [",".join([str(t)] + [f"{v:.6f}" for v in frame.ravel()]) for t, frame in enumerate(pts)]
    (tmp_path / "k.csv").write_text(header + "\n" + "\n".join(rows) + "\n")
    for name in ("k.npy", "k.json", "k.csv"):
        seq = read_pose(tmp_path / name, fps=body.fps, layout=layout)
        _check(seq, body, layout)


def test_layout_sniffed_when_the_count_tells_and_units_and_up_axis_normalised(tmp_path, body):
    # BODY-18 is the only 18-point layout: no --layout needed. Millimetres with y down, as many trackers write.
    pts = _keypoints(body, "body18") * np.array([1000.0, -1000.0, -1000.0])
    np.save(tmp_path / "k.npy", pts)
    seq = read_pose(tmp_path / "k.npy", fps=body.fps)
    _check(seq, body, "body18")


def test_openpose_json_frames_with_confidence_and_a_missing_person(tmp_path, body):
    pts = _keypoints(body, "body25")
    frames = [{"people": [{"pose_keypoints_3d": np.concatenate([p, np.ones((25, 1))], 1).ravel().tolist()}]}
              for p in pts]
    frames[3] = {"people": []}
    (tmp_path / "op.json").write_text(json.dumps(frames))
    seq = read_pose(tmp_path / "op.json", fps=30.0, layout="BODY-25")
    assert not seq.present[3] and seq.present.sum() == len(pts) - 1


@pytest.mark.parametrize("count,names", [(17, ("coco17", "h36m17")), (25, ("body25", "ntu25"))])
def test_ambiguous_layout_is_one_line_naming_the_choices(tmp_path, body, count, names):
    np.save(tmp_path / "k.npy", np.zeros((10, count, 3)) + np.arange(count)[None, :, None])
    with pytest.raises(GymlError) as info:
        read_pose(tmp_path / "k.npy")
    message = str(info.value)
    assert "\n" not in message and "--layout" in message and all(n in message for n in names)
    result = CliRunner().invoke(app, ["count", str(tmp_path / "k.npy")])
    assert result.exit_code == 2
    assert "--layout" in result.output and "Traceback" not in result.output


def test_unknown_layout_name_and_wrong_count_are_refused(tmp_path, body):
    np.save(tmp_path / "k.npy", _keypoints(body, "coco17"))
    with pytest.raises(GymlError, match="unknown keypoint layout"):
        read_pose(tmp_path / "k.npy", layout="kinect_v1")
    with pytest.raises(GymlError, match="layout body25 has 25"):
        read_pose(tmp_path / "k.npy", layout="body25")
    result = CliRunner().invoke(app, ["count", str(tmp_path / "k.npy"), "--layout", "coco17"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("take", ["plank_good.csv", "lunge_good.csv", "plank_head_low.csv"])
def test_real_bodyweight_takes_read_with_their_absent_points_named(take):
    seq = read_pose(shared_path("bodyweight_mistakes", take), fps=60.0)
    assert seq.present.all() and seq.metadata["layout"] == "mediapipe33"
    assert set(seq.metadata["absent_joints"]) == {"left_hand", "right_hand", "left_foot", "right_foot"}
    skipped = skipped_checks(seq, {"knees_cave": ("left_knee", "right_knee"), "toes_out": ("left_foot",)})
    assert skipped == {"toes_out": ["left_foot"]}
    assert "toes out (needs left foot)" in skipped_note(skipped)


def test_every_layout_is_distinct():
    assert len({(lay.count, lay.weights.tobytes()) for lay in LAYOUTS.values()}) == len(LAYOUTS)

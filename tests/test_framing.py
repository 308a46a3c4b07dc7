"""Tighter framings of a video read again by the pose model (gyml.pose.framing), and their place in the
default model's training data: extra examples that go wherever their recording goes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import shared_path

from gyml.classify.build_default import FeatureTable
from gyml.pose import framing
from gyml.pose.sequence import PoseSequence


def _standing(frames: int = 20) -> np.ndarray:
    """Image landmarks (T, 33, 2) of an upright body: shoulders at 0.3, hips at 0.55, knees at 0.75."""
    image = np.full((frames, 33, 2), 0.5)
    image[:, :, 1] = 0.5
    image[:, [11, 12], 1] = 0.3
    image[:, [23, 24], 1] = 0.55
    image[:, [25, 26], 1] = 0.75
    return image


def test_framings_cut_each_body_at_its_own_hips_knees_and_shoulders():
    image = _standing()
    assert framing.framing_rows(image, "waist_up") == pytest.approx((0.0, 0.55 + 0.15 * 0.25))
    assert framing.framing_rows(image, "knees_up") == pytest.approx((0.0, 0.75))
    assert framing.framing_rows(image, "head_cut") == pytest.approx((0.3 - 0.25 * 0.25, 1.0))
    lower = image.copy()
    lower[..., 1] += 0.1     # the same body lower in the picture: every cut moves with it
    assert framing.framing_rows(lower, "knees_up")[1] == pytest.approx(0.85)
    assert framing.framing_rows(image[:3], "waist_up") is None          # too few frames with a body
    squeezed = image.copy()
    squeezed[..., 1] = squeezed[..., 1] * 0.2   # a tiny body at the top: the waist-up picture is too thin
    assert framing.framing_rows(squeezed, "waist_up") is None
    with pytest.raises(ValueError):
        framing.framing_rows(image, "sideways")


def test_a_real_video_read_again_from_the_waist_up_is_cached(tmp_path, monkeypatch):
    video = shared_path("ucf101", "videos", "v_BodyWeightSquats_g15_c01.avi")
    seq = PoseSequence.load(shared_path("ucf101", "poses", "v_BodyWeightSquats_g15_c01.npz"))
    cut = framing.reframed_pose(video, seq, "waist_up", folder=tmp_path)
    assert cut is not None and len(cut) == len(seq) and cut.metadata["framing"] == "waist_up"
    # MediaPipe still draws legs inside the cut picture, but sees them far less
    ankles = [7, 8]
    assert np.median(cut.confidence[cut.present][:, ankles].max(axis=1)) < \
        np.median(seq.confidence[seq.present][:, ankles].max(axis=1)) - 0.3

    def no_second_pass(*args, **kwargs):
        raise AssertionError("read again instead of taken from the cache")

    from gyml.pose.readers import mover
    monkeypatch.setattr(mover, "extract_cropped", no_second_pass)
    again = framing.reframed_pose(video, seq, "waist_up", folder=tmp_path)
    np.testing.assert_array_equal(np.nan_to_num(again.joints), np.nan_to_num(cut.joints))


def test_re_framed_readings_train_only_where_their_recording_does():
    X = np.arange(8, dtype=np.float32).reshape(4, 2)
    table = FeatureTable(X, np.array(["a", "b", "a", "b"]), np.array(["g1", "g2", "g3", "g4"]),
                         np.array(["ucf101"] * 4), ["w", "x", "y", "z"], np.array(["video"] * 4),
                         X_framed=np.array([[10, 10], [11, 11], [12, 12]], np.float32), framed_of=np.array([1, 1, 2]))
    Xt, yt, st, reps = table.training_rows(np.array([True, False, True, False]))
    assert Xt.tolist() == [[0, 1], [4, 5], [12, 12]] and yt.tolist() == ["a", "a", "a"]
    assert st.tolist() == ["video"] * 3 and reps is None
    Xa, ya, _, _ = table.training_rows()
    assert len(Xa) == 7 and ya.tolist() == ["a", "b", "a", "b", "b", "b", "a"]

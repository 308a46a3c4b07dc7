"""Features of the per-frame normalised picture landmarks (gyml.classify.picture)."""

import numpy as np

from gyml.classify.features import MISSING
from gyml.classify.picture import N_PICTURE, normalise_per_frame, picture_feature_names, picture_features
from gyml.pose.sensor_twin import Camera, repcount_twin
from gyml.synth import SynthConfig, synthesize


def _picture(label: str, yaw: float = 0.0, seed: int = 1):
    seq = synthesize(label, 6, seed=seed, config=SynthConfig(noise_m=0.003))
    return repcount_twin(seq, Camera(yaw_deg=yaw, pitch_deg=10, distance_m=3)).image_landmarks


def _named(values: np.ndarray) -> dict:
    return dict(zip(picture_feature_names(), values))


def test_no_picture_gives_missing_everywhere():
    assert np.all(picture_features(None) == MISSING)
    assert picture_features(np.zeros((3, 33, 2))).shape == (N_PICTURE,)


def test_each_frame_spans_zero_to_one_on_both_axes():
    pts = _picture("squat")
    normed = normalise_per_frame(pts * 3.0 + 7.0)
    assert np.allclose(np.nanmin(normed, axis=1), 0) and np.allclose(np.nanmax(normed, axis=1), 1)


def test_a_mirrored_picture_gives_the_same_features():
    pts = _picture("lunge")
    mirrored = pts.copy()
    mirrored[..., 0] = 1.0 - mirrored[..., 0]
    mirrored = mirrored[:, _swap_sides()]
    np.testing.assert_allclose(picture_features(mirrored), picture_features(pts), atol=1e-5)


def test_the_picture_tells_feet_that_spread_from_feet_that_stay_and_lying_from_upright():
    jack, raise_ = _named(picture_features(_picture("jumping_jack"))), _named(picture_features(_picture("front_raise")))
    assert jack["pic:feet_apart_range"] > 2 * raise_["pic:feet_apart_range"]
    lying = _named(picture_features(_picture("bench_press")))
    assert lying["pic:upright"] < 0 < raise_["pic:upright"]


def _swap_sides() -> list[int]:
    """MediaPipe's 33 landmarks with left and right exchanged (odd <-> even from 1 to 32, nose stays)."""
    order = list(range(33))
    for left in range(1, 33, 2):
        if left + 1 < 33:
            order[left], order[left + 1] = left + 1, left
    return order

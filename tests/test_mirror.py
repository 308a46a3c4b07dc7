"""The mirrored reading: frames read as filmed and mirrored, the second mirrored back and averaged."""

import subprocess
import sys

import numpy as np
from conftest import shared_path
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gyml.pose.cache import cached_read_pose
from gyml.pose.mirror import (
    MIRROR_INDEX,
    Reading,
    average_readings,
    bone_length_spread,
    landmark_jitter,
    pair_to_sequence,
    read_pair,
    track_pair,
    unmirror,
)
from gyml.pose.readers.video import iter_timed_frames
from gyml.pose.sequence import PoseSequence
from gyml.synth import synthesize

coordinates = arrays(np.float64, (4, 33, 3), elements=st.floats(-2, 2))


def _reading(world: np.ndarray, seed: int = 0) -> Reading:
    rng = np.random.default_rng(seed)
    return Reading(world, rng.uniform(0, 1, (*world.shape[:2], 2)), rng.uniform(0, 1, world.shape[:2]))


def test_left_and_right_landmarks_swap_and_the_middle_stays():
    assert MIRROR_INDEX[0] == 0                              # nose
    assert (MIRROR_INDEX[[11, 12, 23, 24, 27, 28]] == [12, 11, 24, 23, 28, 27]).all()
    assert (MIRROR_INDEX[MIRROR_INDEX] == np.arange(33)).all()


@settings(max_examples=30, deadline=None)
@given(coordinates)
def test_mirroring_back_twice_is_the_reading_itself(world):
    r = _reading(world)
    twice = unmirror(unmirror(r))
    assert np.allclose(twice.world, r.world) and np.allclose(twice.image, r.image)
    assert np.allclose(twice.visibility, r.visibility)


@settings(max_examples=30, deadline=None)
@given(coordinates, coordinates)
def test_the_average_lies_between_the_readings_and_does_not_depend_on_their_order(a, b):
    ra, rb = _reading(a, 1), _reading(b, 2)
    for weighting in ("mean", "visibility"):
        ab, ba = average_readings(ra, rb, weighting), average_readings(rb, ra, weighting)
        assert np.allclose(ab.world, ba.world)
        assert (ab.world >= np.minimum(a, b) - 1e-9).all() and (ab.world <= np.maximum(a, b) + 1e-9).all()
    assert np.allclose(average_readings(ra, rb, "mean").world, (a + b) / 2)


def test_a_frame_only_one_reading_found_is_that_readings_own():
    rng = np.random.default_rng(3)
    a, b = _reading(rng.normal(size=(3, 33, 3)), 4), _reading(rng.normal(size=(3, 33, 3)), 5)
    b.world[1] = np.nan
    b.image[1] = np.nan
    b.visibility[1] = 0.0
    a.world[2] = np.nan
    a.image[2] = np.nan
    a.visibility[2] = 0.0
    got = average_readings(a, b)
    assert np.allclose(got.world[1], a.world[1]) and np.allclose(got.visibility[1], a.visibility[1])
    assert np.allclose(got.world[2], b.world[2])
    both = average_readings(Reading(a.world[2:], a.image[2:], a.visibility[2:]),
                            Reading(a.world[2:], a.image[2:], a.visibility[2:]))
    assert np.isnan(both.world).all() and (both.visibility == 0).all()


def test_a_mirrored_videos_reading_is_the_videos_reading_mirrored():
    """Reading a clip's mirror image gives the clip's averaged reading, mirrored: the two trackers see
    the same pictures, each the other's."""
    clip = shared_path("videos", "pushup_form", "correct106.mp4")
    frames = []
    for rgb, t in iter_timed_frames(clip, max_side=320):
        frames.append((rgb, t))
        if len(frames) == 24:
            break
    plain, mirrored = track_pair(iter(frames))
    flipped_plain, flipped_mirrored = track_pair((np.ascontiguousarray(rgb[:, ::-1]), t) for rgb, t in frames)

    def averaged(p, m):
        return average_readings(Reading(p.world, p.image, p.visibility),
                                unmirror(Reading(m.world, m.image, m.visibility)))

    original = averaged(plain, mirrored)
    of_the_mirror = unmirror(averaged(flipped_plain, flipped_mirrored))
    assert np.isfinite(original.world).all()
    assert np.allclose(original.world, of_the_mirror.world, atol=1e-6)
    assert np.allclose(original.image, of_the_mirror.image, atol=1e-6)
    # and the mirrored reading is a reading of its own, not the first one copied
    assert np.abs(unmirror(Reading(mirrored.world, mirrored.image, mirrored.visibility)).world
                  - plain.world).max() > 1e-3


def test_the_average_is_steadier_than_either_reading_on_a_real_clip():
    clip = shared_path("videos", "pushup_form", "correct106.mp4")
    pair = read_pair(clip)
    mean = average_readings(pair.plain, pair.mirrored)
    for single in (pair.plain, pair.mirrored):
        assert bone_length_spread(mean.world) < 0.8 * bone_length_spread(single.world)
        assert landmark_jitter(mean.world) < landmark_jitter(single.world)
    seq = cached_read_pose(clip, mirrored_average=True)
    assert seq.metadata["mirrored_average"] == "mean" and len(seq) == len(pair.times)


def test_gyml_extract_mirrored_writes_the_averaged_reading(tmp_path):
    clip = shared_path("ucf101", "videos", "v_PushUps_g08_c01.avi")
    out = tmp_path / "poses.npz"
    r = subprocess.run([sys.executable, "-m", "gyml.cli", "extract", str(clip), "--mirrored", "-o", str(out)],
                       capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stderr
    seq = PoseSequence.load(out)
    assert seq.metadata["mirrored_average"] == "mean"
    expected = pair_to_sequence(clip, read_pair(clip))
    assert np.allclose(seq.joints, expected.joints, equal_nan=True)
    synthesize("push_up", 3, seed=1).save(tmp_path / "pose.npz")
    r = subprocess.run([sys.executable, "-m", "gyml.cli", "extract", str(tmp_path / "pose.npz"), "--mirrored",
                        "-o", str(tmp_path / "again.npz")], capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "reads videos" in r.stderr

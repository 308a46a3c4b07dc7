"""Fuzzing (hypothesis, derandomised, bounded): mutated and random files of every format, through every
reader and through the CLI, give a result or one line with exit 2 - never an unexpected error, a hang,
or more memory than the bound. benchmarks/fuzz_readers.py runs the same with many more inputs."""

import numpy as np
import pytest
from fuzz_inputs import MUTATIONS, guarded, mutate, mutated_bytes, write_seeds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from typer.testing import CliRunner

from gyml.cli import app
from gyml.pose.readers import read_pose
from gyml.pose.sequence import PoseSequence

# A numpy RuntimeWarning escaping a reader is a case it did not handle where it arose: fail on it.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

MEMORY_BOUND = 256 * 1024**2     # seeds are < 1 MB: a mutation must not make a reader take more
TIMEOUT_S = 30.0

FUZZ = settings(derandomize=True, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
operations = st.lists(st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 2**20), st.integers(0, 255),
                                st.integers(0, 255)), min_size=1, max_size=4)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    return write_seeds(tmp_path_factory.mktemp("seeds"))


def assert_contained(outcome, what):
    assert outcome.kind in ("result", "refused"), f"{what}: {outcome.kind} {outcome.detail}"
    assert outcome.peak_bytes < MEMORY_BOUND, f"{what}: peak {outcome.peak_bytes / 1024**2:.0f} MB"


FORMATS = ["npz", "npz_plain", "npz_members", "flag3d_smpl", "phalp", "phalp_plain", "flag3d_keypoints", "repcount_npy",
           "csv_wide", "csv_long"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_mutated_files_through_the_readers(seeds, tmp_path_factory, fmt):
    seed = seeds[fmt]
    data = seed.read_bytes()
    folder = tmp_path_factory.mktemp(f"mutated_{fmt}")

    @settings(FUZZ, max_examples=12)
    @given(ops=operations)
    def check(ops):
        path = folder / seed.name
        path.write_bytes(mutated_bytes(fmt, data, ops))
        assert_contained(guarded(read_pose, path, timeout_s=TIMEOUT_S), f"{fmt} {ops}")

    check()


MAGIC = [b"PK\x03\x04", b"\x93NUMPY\x01\x00", b"\x80\x04\x95", b"\x1f\x8b\x08\x00", b"BZh9", b"\x78\x9c",
         b"\xfd7zXZ\x00", b"frame,landmark,x,y,z,visibility\n", b"frame,x0,y0,z0\n", b"\x00\x00\x00\x18ftypmp42"]


@settings(FUZZ, max_examples=30)
@given(head=st.sampled_from(MAGIC), tail=st.binary(max_size=400))
def test_random_bytes_behind_every_magic_number(tmp_path_factory, head, tail):
    path = tmp_path_factory.mktemp("random") / "input.bin"
    path.write_bytes(head + tail)
    assert_contained(guarded(read_pose, path, timeout_s=TIMEOUT_S), repr(head + tail[:40]))


@settings(FUZZ, max_examples=20)
@given(frames=st.integers(0, 40), fps=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(30.0)),
       values=st.sampled_from(["normal", "huge", "nan", "zeros", "int"]), layout=st.sampled_from(["ok", "flat", "wide"]),
       seed=st.integers(0, 2**16))
def test_stored_arrays_of_any_shape_and_value(tmp_path_factory, frames, fps, values, layout, seed):
    rng = np.random.default_rng(seed)
    shape = {"ok": (frames, 24, 3), "flat": (frames, 72), "wide": (frames, 33, 3)}[layout]
    joints = {"normal": rng.normal(0, 0.5, shape), "huge": rng.normal(0, 1e37, shape),
              "nan": np.full(shape, np.nan), "zeros": np.zeros(shape),
              "int": rng.integers(-5, 5, shape)}[values]
    path = tmp_path_factory.mktemp("arrays") / "a.npz"
    np.savez(path, joints=joints, confidence=np.ones(shape[:2]), fps=np.float64(fps))
    assert_contained(guarded(read_pose, path, timeout_s=TIMEOUT_S), f"{layout} {values} fps={fps}")


@settings(FUZZ, max_examples=6)
@given(data=arrays(np.float32, st.tuples(st.integers(1, 30), st.integers(99, 110)),
                   elements=st.floats(-1e6, 1e6, width=32)))
def test_random_tables_as_repcount_npy(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("npy") / "t.npy"
    np.save(path, data)
    assert_contained(guarded(read_pose, path, timeout_s=TIMEOUT_S), str(data.shape))


runner = CliRunner()


@pytest.mark.parametrize("fmt", ["npz_members", "phalp_plain", "csv_long", "repcount_npy"])
def test_mutated_files_through_the_cli(seeds, tmp_path_factory, fmt):
    """`gyml count` on a mutated file beside a good one: exit 0 or 2, a line for each, never 'unexpected'."""
    seed = seeds[fmt]
    data = seed.read_bytes()
    folder = tmp_path_factory.mktemp(f"cli_{fmt}")
    good = seeds["npz"]

    @settings(FUZZ, max_examples=4)
    @given(ops=operations)
    def check(ops):
        path = folder / seed.name
        path.write_bytes(mutated_bytes(fmt, data, ops))
        out = folder / "out.jsonl"
        r = runner.invoke(app, ["count", str(path), str(good), "--jsonl", str(out)])
        assert r.exit_code in (0, 2), r.output
        assert "unexpected" not in r.stdout + r.stderr, r.stdout + r.stderr
        lines = out.read_text().splitlines()
        assert len(lines) == 2 and '"count"' in lines[1]

    check()


def test_mutated_videos_through_the_decoder(seeds, tmp_path_factory):
    """The container and decoder layer of the video reader (MediaPipe itself runs in the benchmark)."""
    from gyml.pose.readers.video import iter_timed_frames, probe_video

    seed = seeds["video"]
    data = seed.read_bytes()
    folder = tmp_path_factory.mktemp("video")

    def decode(path):
        probe_video(path)
        for _ in iter_timed_frames(path):
            pass

    @settings(FUZZ, max_examples=15)
    @given(ops=operations)
    def check(ops):
        path = folder / "v.mp4"
        path.write_bytes(mutate(data, ops))
        assert_contained(guarded(decode, path, timeout_s=TIMEOUT_S), f"video {ops}")

    check()


def test_the_seeds_themselves_read(seeds):
    """The fuzzer starts from valid files: each non-video seed reads to a plausible sequence."""
    for fmt in FORMATS:
        seq = read_pose(seeds[fmt])
        assert isinstance(seq, PoseSequence) and seq.present.mean() > 0.9, fmt
        assert seq.metadata["plausibility"]["frames_dropped"] == 0, fmt


@pytest.mark.parametrize("fmt, ops", [
    ("phalp_plain", [("number", 899422, 142, 238)]),       # an array where PHALP keeps a number -> ValueError
    ("flag3d_keypoints", [("number", 852616, 163, 29)]),   # a cast of invalid values -> RuntimeWarning
])
def test_findings_of_the_fuzz_benchmark_stay_fixed(seeds, tmp_path, fmt, ops):
    path = tmp_path / seeds[fmt].name
    path.write_bytes(mutated_bytes(fmt, seeds[fmt].read_bytes(), ops))
    assert_contained(guarded(read_pose, path, timeout_s=TIMEOUT_S), f"{fmt} {ops}")

"""Span-parallel extraction: spans own every frame once, joins match a single pass, memory stays bounded."""

import math
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gyml.pose.readers import video as video_reader
from gyml.pose.readers.video_chunks import (
    JOIN_TOLERANCE_M,
    OVERLAP_S,
    PROCESS_START_FRAMES,
    LandmarkBuffer,
    converged_from,
    iter_timed_frames,
    plan_spans,
    read_video_chunked,
)
from gyml.reps.counter import count_reps
from tests.conftest import shared_path


@settings(max_examples=60, deadline=None)
@given(frames=st.integers(1, 5000), fps=st.floats(5, 120), count=st.integers(1, 8),
       first=st.floats(-1, 5), jitter=st.floats(-0.3, 0.3))
def test_spans_own_every_frame_exactly_once(frames, fps, count, first, jitter):
    times = first + (np.arange(frames) + jitter) / fps  # timestamps off the grid by up to 0.3 frame
    plan = plan_spans(first, frames, fps, count)
    assert plan[0].start == -math.inf and plan[-1].stop == math.inf
    owned = [int(((times >= s.start) & (times < s.stop)).sum()) for s in plan]
    if len(plan) > 1 and frames > 500:
        # A later span pays for its warm-up and its process start: it owns that many frames fewer.
        extra = OVERLAP_S * fps + PROCESS_START_FRAMES
        assert abs(owned[0] - owned[1] - extra) <= 2 and max(owned[1:]) - min(owned[1:]) <= 2
    owners = np.zeros(frames, int)
    for span in plan:
        owners += (times >= span.start) & (times < span.stop)
    assert (owners == 1).all()
    assert all(s.warmup > 0 for s in plan[1:])


def test_landmark_buffer_keeps_order_through_growth():
    rng = np.random.default_rng(0)
    rows = [(i / 30, rng.normal(size=(33, 3)), rng.normal(size=(33, 2)), rng.random(33)) for i in range(100)]
    buffer = LandmarkBuffer(16)
    for row in rows:
        buffer.append(*row)
    poses = buffer.finish()
    assert len(poses.times) == 100
    np.testing.assert_allclose(poses.world, np.array([r[1] for r in rows]), rtol=1e-6)
    np.testing.assert_allclose(poses.visibility[-1], rows[-1][3], rtol=1e-6)


def test_convergence_needs_a_full_run_of_agreeing_frames():
    rng = np.random.default_rng(1)
    reference = rng.normal(size=(20, 33, 3)).astype(np.float32)
    tracked = reference.copy()
    tracked[:8] += 0.3  # a tracker on something else for 8 frames
    tracked[10] += 0.01  # one frame 1 cm off breaks a run
    assert converged_from(reference, tracked, 0.001, 5) == 11
    assert converged_from(reference, tracked, 0.001, 10) is None
    # Nobody found by both counts as agreement; by one only does not.
    reference[15:], tracked[15:] = np.nan, np.nan
    assert converged_from(reference[12:], tracked[12:], 0.001, 8) == 0
    tracked[17] = 0.0
    assert converged_from(reference[12:], tracked[12:], 0.001, 8) is None


def test_spans_in_parallel_match_one_pass():
    clip = shared_path("videos", "counted", "dips__dips_13.mp4")
    single = video_reader.read_video(clip)
    joins = []
    spans = read_video_chunked(clip, jobs=2, overlap=1.0, report=joins)
    assert len(spans) == len(single) and spans.fps == single.fps
    np.testing.assert_array_equal(spans.present, single.present)
    # Two trackers on the same frames differ by millimetres to centimetres (each crops from its own
    # history); the join accepts the second span once the trackers agree within JOIN_TOLERANCE_M.
    first_second = slice(int(np.ceil(joins[0].boundaries[0] * single.fps)), None)
    difference = np.nan_to_num(np.abs(spans.joints - single.joints)).max(axis=(1, 2))
    assert difference[: first_second.start].max() == 0.0  # the first span is the single pass itself
    assert np.median(difference[first_second]) < JOIN_TOLERANCE_M, difference
    assert count_reps(spans).count == count_reps(single).count
    assert len(joins[0].handover_frames) == 1 and joins[0].warmup_frames > 0
    # What each tracker cost its process: the first span is tracked here (no process start of its own),
    # the second in a process of its own that decodes with one thread and no FFmpeg thread pool.
    here, child = joins[0].costs
    assert here.in_caller and here.phases["process start"] == 0.0 and not child.in_caller
    assert child.phases["process start"] > 0 and child.frames["warm-up"] == joins[0].warmup_frames
    assert here.frames["owned"] + child.frames["owned"] == len(single)
    for cost in (here, child):
        assert cost.threads.seconds["model"] > 0.5 * cost.phases["owned"]  # the model is most of the work
        assert cost.threads.threads["model"] >= 1 and cost.threads.threads["frames"] == 1
    assert child.threads.threads["decoder"] == 0


class _ReplayedModel:
    """Stands in for MediaPipe with one real-shaped answer, so the test measures decoding and buffering."""

    def __init__(self):
        class Landmark:
            x = y = z = 0.1
            visibility = 0.9

        class Landmarks:
            landmark = [Landmark()] * 33

        class Result:
            pose_world_landmarks = pose_landmarks = Landmarks()

        self.result = Result()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def process(self, rgb):
        return self.result


def _write_video(path: Path, seconds: float, size=(320, 180), fps=30) -> Path:
    import av

    rng = np.random.default_rng(0)
    tiles = [rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8) for _ in range(4)]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "40"}
        for i in range(int(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(tiles[i % 4], format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def test_extraction_memory_does_not_grow_with_frames(tmp_path, monkeypatch):
    """Frames stream through: twice the frames costs only the pose arrays (their float32 landmarks and,
    briefly, the conversion to the skeleton: a few kB a frame, against 170 kB for each decoded frame)."""
    monkeypatch.setattr(video_reader, "pose_estimator", _ReplayedModel)
    peaks = {}
    for seconds in (10, 20):
        clip = _write_video(tmp_path / f"clip{seconds}.mp4", seconds)
        tracemalloc.start()
        seq = video_reader.read_video(clip)
        peaks[seconds] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert len(seq) == seconds * 30
    frame_bytes = 320 * 180 * 3
    extra_frames = 300
    assert peaks[20] - peaks[10] < extra_frames * 5000, peaks
    assert peaks[20] < 20 * frame_bytes, peaks  # far below the 600 frames it decoded


def test_timed_frames_after_a_seek_are_the_frames_of_one_pass(tmp_path):
    clip = _write_video(tmp_path / "clip.mp4", 4, size=(64, 48))
    every = list(iter_timed_frames(clip))
    later = list(iter_timed_frames(clip, start=2.0, stop=3.0))
    assert [t for t, _ in later] == [t for t, _ in every if 2.0 <= t < 3.0]
    first = next(i for i, (t, _) in enumerate(every) if t >= 2.0)
    for k, (_, frame) in enumerate(later):
        np.testing.assert_array_equal(frame, every[first + k][1])


@pytest.mark.parametrize("jobs", [1])
def test_one_job_is_one_pass(jobs, tmp_path, monkeypatch):
    from gyml.pose.readers.video_chunks import read_video_parallel

    monkeypatch.setattr(video_reader, "pose_estimator", _ReplayedModel)
    clip = _write_video(tmp_path / "clip.mp4", 2, size=(64, 48))
    assert len(read_video_parallel(clip, jobs=jobs)) == 60


def test_closing_the_frame_prefetch_stops_its_thread_and_decoder(tmp_path):
    """A long-lived process (a Dask worker, the web server) that abandons a video keeps nothing running."""
    import threading

    clip = _write_video(tmp_path / "clip.mp4", 3, size=(64, 48))
    before = threading.active_count()
    frames = video_reader.prefetch_frames(iter_timed_frames(clip), depth=2)
    next(frames)
    assert threading.active_count() == before + 1  # the decoding thread, now blocked on a full queue
    frames.close()
    assert threading.active_count() == before
    assert len(list(video_reader.prefetch_frames(iter_timed_frames(clip)))) == 90  # and a full read still ends


def test_rgb_conversion_in_one_thread_gives_ffmpegs_pixels(tmp_path):
    import av

    clip = _write_video(tmp_path / "clip.mp4", 1, size=(320, 180))
    convert = video_reader.RgbConverter(160, 90)
    with av.open(str(clip)) as container:
        for frame in container.decode(video=0):
            expected = frame.to_ndarray(format="rgb24", width=160, height=90)
            np.testing.assert_array_equal(convert(frame), expected)


def test_thread_meter_tells_who_used_the_processor():
    import threading
    import time

    from gyml.pose.readers.cpu_usage import FRAMES_THREAD, ThreadMeter, name_this_thread

    def busy():
        name_this_thread(FRAMES_THREAD)
        end = time.thread_time() + 0.3
        while time.thread_time() < end:
            pass
        meter.sample()  # before the thread ends, as the span trackers do

    meter = ThreadMeter()
    worker = threading.Thread(target=busy)
    worker.start()
    worker.join()
    usage = meter.close()
    assert usage.threads["frames"] == 1 and usage.seconds["frames"] >= 0.25
    assert usage.seconds["frames"] > usage.seconds["main"]


def test_a_kept_span_process_tracks_the_next_video_like_a_fresh_one():
    """Span processes are kept between videos: the second video's span costs no process start, and its
    poses are those a freshly started process gives (no tracker state carried over)."""
    from gyml.pose.readers.video_chunks import SpanWorkers, _timeline, extract_spans_joined

    clip = shared_path("videos", "counted", "squats__squat_17.mp4")
    fps, first, frames, _ = _timeline(clip)
    plan = plan_spans(first, frames, fps, 2, OVERLAP_S, 0)
    workers = SpanWorkers()
    try:
        fresh, fresh_report = extract_spans_joined(clip, plan, workers=workers)
        assert workers.ready() == 1
        pid = workers._idle[0].process.pid
        kept, kept_report = extract_spans_joined(clip, plan, workers=workers)
        assert workers.ready() == 1 and workers._idle[0].process.pid == pid
    finally:
        workers.close()
    assert workers.ready() == 0
    np.testing.assert_array_equal(kept.times, fresh.times)
    np.testing.assert_array_equal(kept.world, fresh.world)
    assert fresh_report.costs[1].phases["process start"] > 0.1  # the interpreter, imports, MediaPipe
    assert kept_report.costs[1].phases["process start"] == 0.0
    assert kept_report.costs[1].frames == fresh_report.costs[1].frames


def test_mediapipe_is_imported_without_pyplot_which_stays_usable():
    """A span process (and every process reading a video) imports MediaPipe without loading pyplot, which
    MediaPipe only needs for a plotting helper; pyplot imported later, or through that helper, is real."""
    import os
    import subprocess
    import sys

    code = ("import sys\n"
            "from gyml.pose.readers.video import import_mediapipe\n"
            "mp = import_mediapipe()\n"
            "assert mp.solutions.pose.Pose and 'matplotlib.pyplot' not in sys.modules\n"
            "from mediapipe.python.solutions import drawing_utils\n"
            "import matplotlib.pyplot as plt\n"
            "assert type(plt.figure()).__name__ == 'Figure' and drawing_utils.plt.figure is plt.figure\n")
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, "-c", code], check=False, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]

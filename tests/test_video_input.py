"""Video input that is right: display rotation, frame timestamps, cut files, a progress bar that moves.
The clips are made from a real one (../shared) on the fly: small, a second or two each."""

import subprocess
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path

from gyml.errors import GymlError
from gyml.pose.kinematics import Kinematics
from gyml.pose.readers import read_pose
from gyml.pose.readers.video import iter_frames, probe_video
from gyml.pose.skeleton import ANGLE_NAMES

av = pytest.importorskip("av")
ROOT = Path(__file__).resolve().parents[1]
CLIP = ("videos", "form", "squat_correct_016.mp4")   # a person squatting, 29 frames at 30 fps


def _encode(path, frames, times=None, rotation=0, fps=30):
    """H.264 of RGB frames; `times` (seconds) set each frame's timestamp (a variable frame rate);
    `rotation` (degrees counter-clockwise) is written as the display matrix, as phones do."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        if times is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            if times is not None:
                frame.pts, frame.time_base = int(round(times[i] * 1000)), Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _frames(max_side=480):
    return np.stack(list(iter_frames(shared_path(*CLIP), max_side=max_side)))


def _median_angles(seq):
    return np.median(Kinematics(seq).angles[seq.present], axis=0)


def test_a_clip_stored_sideways_is_read_upright(tmp_path):
    frames = _frames()
    # stored turned a quarter clockwise, with a display matrix that turns it back for viewing
    sideways = _encode(tmp_path / "phone.mp4", np.rot90(frames, k=-1, axes=(1, 2)), rotation=90)
    probe = probe_video(sideways)
    assert probe.rotation == 90 and (probe.width, probe.height) == (frames.shape[2], frames.shape[1])
    upright = read_pose(_encode(tmp_path / "upright.mp4", frames))
    turned = read_pose(sideways)
    assert turned.metadata["rotation"] == 90 and turned.present.mean() > 0.8
    trunk = ANGLE_NAMES.index("trunk_inclination")
    # a person read lying on their side has a trunk ~90 degrees off the vertical
    assert abs(_median_angles(turned)[trunk] - _median_angles(upright)[trunk]) < 10
    assert _median_angles(turned)[trunk] < 35


def test_variable_frame_rate_timestamps_are_kept(tmp_path):
    frames = _frames(320)
    n = len(frames)
    # the first half at 30 fps, the rest at 15 fps (a phone slowing down in dim light)
    times = np.array([i / 30 if i < n // 2 else (n // 2 - 1) / 30 + (i - n // 2 + 1) * 2 / 30 for i in range(n)])
    seq = read_pose(_encode(tmp_path / "vfr.mp4", frames, times=times))
    assert seq.times is not None and len(seq.times) == n
    assert np.allclose(seq.times, times, atol=0.002)
    assert seq.duration == pytest.approx(times[-1] * n / (n - 1), rel=0.01)


def test_tempo_is_timed_by_the_frames_timestamps():
    from gyml.pipeline import analyze_sequence
    from gyml.synth import synthesize

    seq = synthesize("squat", 6, seed=8)
    plain = analyze_sequence(seq, "even.npz", exercise="squat").analysis.extras["rep_metrics"]
    # the same frames, the second half recorded at half the rate: each frame there lasts twice as long
    steps = np.where(np.arange(len(seq)) < len(seq) // 2, 1.0, 2.0) / seq.fps
    timed = analyze_sequence(replace(seq, times=np.r_[0.0, np.cumsum(steps[:-1])]), "vfr.npz", exercise="squat").analysis.extras["rep_metrics"]
    assert len(plain) == len(timed) >= 5
    first, last = (plain[0], timed[0]), (plain[-1], timed[-1])
    assert first[1]["tempo_s"] == first[0]["tempo_s"]
    for key in ("down", "up"):
        assert last[1]["tempo_s"][key] == pytest.approx(2 * last[0]["tempo_s"][key], abs=0.03)


def test_a_cut_video_is_said_not_analysed(tmp_path):
    source = shared_path("videos", "counted", "dips__dips_13.mp4")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(source.read_bytes()[:300 * 1024])
    with pytest.raises(GymlError, match=r"truncated or damaged.*of its 4\.4 s"):
        read_pose(cut)
    run = subprocess.run([sys.executable, "-m", "gyml.cli", "analyze", str(cut)], capture_output=True, text=True, check=False,
                         cwd=ROOT, timeout=300)
    assert run.returncode == 2
    lines = [x for x in (run.stdout + run.stderr).splitlines() if x.strip()]
    assert len(lines) == 1 and "truncated" in lines[0], lines


PROGRESS_SCRIPT = """
import sys
from gyml.pose.readers.video import read_video
seen = []
def progress(done, total):
    seen.append(total)
    print(f"progress {done}/{total}", file=sys.stderr, flush=True)
read_video(sys.argv[1], progress=progress)
print("totals", sorted(set(seen)))
"""


def test_progress_reaches_stderr_during_extraction_and_native_chatter_does_not(tmp_path):
    clip = shared_path(*CLIP)
    run = subprocess.run([sys.executable, "-c", PROGRESS_SCRIPT, str(clip)], capture_output=True, text=True, check=False,
                         cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    ticks = [line for line in run.stderr.splitlines() if line.startswith("progress ")]
    assert ticks[0] == "progress 1/29" and ticks[-1] == "progress 29/29" and len(ticks) == 29
    assert "totals [29]" in run.stdout
    assert "XNNPACK" not in run.stderr and "inference_feedback_manager" not in run.stderr

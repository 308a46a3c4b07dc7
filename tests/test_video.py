import numpy as np
import pytest
from conftest import shared_path

from gyml.errors import GymlError
from gyml.pose.readers import read_pose


def _write_video(path, frames, fps=30):
    av = pytest.importorskip("av")
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_real_video_gives_a_person_in_metres():
    video = shared_path("videos", "form", "squat_correct_016.mp4")
    seq = read_pose(video)
    assert seq.source == "video" and seq.fps == pytest.approx(30, abs=0.1)
    assert len(seq) >= 25 and seq.present.mean() > 0.8
    from gyml.pose.skeleton import torso_length
    assert 0.3 < torso_length(seq.joints[seq.present]) < 0.8  # metres, an adult's trunk
    assert seq.image_landmarks.shape == (len(seq), 33, 2)


def test_video_with_nobody_is_an_error(tmp_path):
    frames = np.full((20, 120, 160, 3), 90, np.uint8)
    frames[:, 40:80, 60:100] = 200
    path = tmp_path / "empty_room.mp4"
    _write_video(path, frames)
    with pytest.raises(GymlError, match="no person"):
        read_pose(path)


def test_truncated_video_is_an_error(tmp_path):
    path = tmp_path / "cut.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    with pytest.raises(GymlError):
        read_pose(path)

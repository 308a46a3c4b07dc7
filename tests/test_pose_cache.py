import numpy as np

from gyml.pose import cache
from gyml.pose.readers import video as video_reader
from gyml.synth import synthesize


def test_video_is_decoded_once_per_content(tmp_path, monkeypatch):
    """Two files with the same bytes under different names share one cache entry; the reader runs once."""
    seq = synthesize("squat", reps=2, seed=3)
    calls = []

    def fake_read_video(path, progress=None):
        calls.append(path)
        return seq

    monkeypatch.setattr(video_reader, "read_video", fake_read_video)
    payload = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4
    first, second = tmp_path / "a.mp4", tmp_path / "b.mp4"
    first.write_bytes(payload)
    second.write_bytes(payload)
    folder = tmp_path / "cache"
    got_a = cache.cached_read_pose(first, folder=folder)
    got_b = cache.cached_read_pose(second, folder=folder)
    assert len(calls) == 1
    assert got_b.metadata["file"] == "b.mp4"
    np.testing.assert_allclose(got_a.joints, got_b.joints)
    assert len(list(folder.glob("*.npz"))) == 1
    # Other content -> another key, another extraction.
    third = tmp_path / "c.mp4"
    third.write_bytes(payload + b"x")
    cache.cached_read_pose(third, folder=folder)
    assert len(calls) == 2


def test_damaged_entry_is_reextracted(tmp_path, monkeypatch):
    seq = synthesize("push_up", reps=2, seed=1)
    monkeypatch.setattr(video_reader, "read_video", lambda path, progress=None: seq)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 100)
    folder = tmp_path / "cache"
    entry = cache.cached_path(clip, folder)
    folder.mkdir()
    entry.write_bytes(b"not an npz")
    got = cache.cached_read_pose(clip, folder=folder)
    assert len(got) == len(seq)
    assert entry.stat().st_size > 100

"""Pose extraction follows the person who exercises, not a bystander (gyml.pose.readers.mover)."""

import numpy as np
import pytest
from conftest import shared_path

from gyml.pose.readers import mover, read_pose
from gyml.pose.sequence import PoseSequence


def _scene(frames=60, size=(120, 160), seed=0):
    """Grey frames with sensor noise, a still 'bystander' block on the left and a block on the right that
    swings up and down like arms in a jumping jack."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    h, w = size
    # a textured room (a pan changes most pixels), still but for sensor noise
    room = ndimage.uniform_filter(rng.uniform(40, 220, (h, w)), 3)
    out = np.empty((frames, h, w, 3), np.uint8)
    for i in range(frames):
        frame = room + rng.normal(0, 3, (h, w))
        frame[30:110, 20:50] = 180                       # the still person
        lift = int(25 * (1 + np.sin(2 * np.pi * i / 15)))  # a rep every half second at 30 fps
        frame[60 - lift:110 - lift // 2, 100:140] = 40   # the moving person
        out[i] = np.repeat(np.clip(frame, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    return out


def test_motion_map_finds_the_moving_person_beside_the_still_one():
    frames = _scene()
    energy = mover.motion_map(iter(frames))
    still_box = (20 / 160, 30 / 120, 50 / 160, 110 / 120)
    region = mover.moving_region(energy, still_box)
    assert region is not None
    x0, y0, x1, y1 = region.box
    assert x0 >= 90 / 160 and x1 <= 150 / 160          # on the right, where the block moves
    assert y0 < 30 / 120 and y1 <= 115 / 120           # up to where the arms reach, above the still head
    assert region.outside_vs_inside > mover.OUTSIDE_RATIO and region.area_vs_body > mover.MIN_REGION_BODY
    # seen from the moving block's own box, nothing moves elsewhere: no reason to look anywhere else
    mover_box = (100 / 160, 10 / 120, 140 / 160, 110 / 120)
    assert mover.moving_region(energy, mover_box).outside_vs_inside < mover.OUTSIDE_RATIO


def test_camera_motion_is_not_taken_for_a_person():
    frames = _scene()
    # every frame shifted sideways: the whole picture changes, as when the camera pans
    panned = np.stack([np.roll(f, 6 * i, axis=1) for i, f in enumerate(frames)])
    energy = mover.motion_map(iter(panned))
    still_box = (20 / 160, 30 / 120, 50 / 160, 110 / 120)
    assert energy is None or mover.moving_region(energy, still_box).outside_vs_inside < mover.OUTSIDE_RATIO


def test_limb_travel_is_in_torso_lengths_whatever_the_picture_size():
    t = np.linspace(0, 4 * np.pi, 80)
    pts = np.full((80, 33, 2), 0.5)
    pts[:, [11, 12], 1] = 0.3      # shoulders
    pts[:, [23, 24], 1] = 0.5      # hips: a torso of 0.2 of the height
    pts[:, [15, 16], 1] = 0.3 - 0.2 * (1 + np.sin(t))[:, None]   # wrists swing two torso lengths
    pts[:, [13, 14], 1] = 0.3 - 0.1 * (1 + np.sin(t))[:, None]
    for scale in (1.0, 0.5):
        moving = 0.5 + (pts - 0.5) * scale
        assert mover.limb_travel(moving, 640, 480) > mover.STILL_TRAVEL
    still = pts.copy()
    still[:, [13, 14, 15, 16], 1] = 0.45
    assert mover.limb_travel(still, 640, 480) < 0.05
    assert mover.limb_travel(np.full((10, 33, 2), np.nan), 640, 480) == 0.0


def test_a_clip_where_a_bystander_was_tracked_follows_the_person_exercising():
    # UCF101 JumpingJack g08: a man stands still in front on the left; MediaPipe alone tracked him
    video = shared_path("ucf101", "videos", "v_JumpingJack_g08_c01.avi")
    plain = PoseSequence.load(shared_path("ucf101", "poses", "v_JumpingJack_g08_c01.npz"))
    assert mover.limb_travel(plain.image_landmarks, 320, 240) < mover.STILL_TRAVEL
    seq = read_pose(video)
    followed = seq.metadata["followed_mover"]
    assert followed["crop"][0] > 0.3                   # the crop leaves the bystander on the left out
    assert followed["travel_after"] > 3 * followed["travel_before"]
    lm = seq.image_landmarks[seq.present]
    assert np.nanmedian(lm[:, :, 0]) > 0.55            # landmarks mapped back into the full frame's right
    assert len(seq) == len(plain)

    def arms_overhead(lm):   # share of frames with both wrists above the shoulders (image y grows down)
        lm = lm[np.isfinite(lm).all(axis=(1, 2))]
        return float(np.mean((lm[:, [15, 16], 1] < lm[:, [11, 12], 1].min(axis=1, keepdims=True)).all(axis=1)))
    assert arms_overhead(plain.image_landmarks) < 0.05    # the bystander's arms hang
    assert arms_overhead(seq.image_landmarks) > 0.08      # the jumper's go up for a few frames each rep


def test_one_person_exercising_is_left_alone(monkeypatch):
    video = shared_path("videos", "form", "squat_correct_016.mp4")
    calls = []
    monkeypatch.setattr(mover, "motion_map", lambda frames: calls.append(1))
    seq = read_pose(video)
    assert "followed_mover" not in seq.metadata
    assert not calls      # decided from the landmarks alone: the video is not decoded again
    assert mover.follow_mover(video, seq) is seq


@pytest.mark.parametrize("clip", ["v_WallPushups_g12_c01", "v_HandStandPushups_g15_c04"])
def test_small_real_movements_with_one_person_do_not_fire(clip):
    # wall and handstand push-ups move the limbs little: the landmarks alone cannot tell them from a
    # bystander, the motion map can
    video = shared_path("ucf101", "videos", f"{clip}.avi")
    plain = PoseSequence.load(shared_path("ucf101", "poses", f"{clip}.npz"))
    assert mover.limb_travel(plain.image_landmarks, 320, 240) < mover.STILL_TRAVEL
    assert mover.suspect_region(video, plain) is None


def test_avi_frames_stamped_in_decoding_order_are_timed_in_display_order():
    # xvid AVIs with packed B-frames stamp frames 0, 40, 120, 80 ms ...: extraction used to refuse them
    video = shared_path("ucf101", "videos", "v_WallPushups_g10_c05.avi")
    seq = read_pose(video)
    steps = np.diff(seq.times)
    assert len(seq) == 63 and np.allclose(steps, 0.04, atol=1e-3)


@pytest.mark.parametrize("rotation", [0, 90])
def test_the_motion_map_of_a_video_file_is_in_displayed_coordinates(tmp_path, rotation):
    av = pytest.importorskip("av")
    frames = _scene()
    stored = np.rot90(frames, k=-rotation // 90, axes=(1, 2)) if rotation else frames
    path = tmp_path / "two_people.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = stored.shape[2], stored.shape[1], "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        for rgb in stored:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    grey = list(mover.iter_luma(path))
    assert grey[0].shape[1] > grey[0].shape[0] and max(grey[0].shape) <= mover.MOTION_SIDE
    region = mover.moving_region(mover.motion_map(iter(grey)), (20 / 160, 30 / 120, 50 / 160, 110 / 120))
    assert region.box[0] >= 90 / 160 and region.box[2] <= 150 / 160


def test_training_reads_the_video_again_where_stored_poses_follow_a_bystander(tmp_path, monkeypatch):
    from gyml.classify.recordings import load_recordings

    monkeypatch.setenv("GYML_CACHE", str(tmp_path / "cache"))
    clips = {"v_JumpingJack_g08_c01": "jumping_jack", "v_BodyWeightSquats_g08_c01": "squat"}
    (tmp_path / "poses").mkdir()
    (tmp_path / "videos").mkdir()
    for clip in clips:
        (tmp_path / "poses" / f"{clip}.npz").symlink_to(shared_path("ucf101", "poses", f"{clip}.npz"))
        (tmp_path / "videos" / f"{clip}.avi").symlink_to(shared_path("ucf101", "videos", f"{clip}.avi"))
    (tmp_path / "labels.csv").write_text("video,exercise,group\n" + "".join(
        f"{clip}.avi,{label},8\n" for clip, label in clips.items()))
    data, problems = load_recordings(tmp_path / "labels.csv", show_progress=False)
    assert not problems
    by_file = {seq.metadata["file"]: seq for seq in data.sequences}
    assert "followed_mover" in by_file["v_JumpingJack_g08_c01.avi"].metadata
    assert "followed_mover" not in by_file["v_BodyWeightSquats_g08_c01.avi"].metadata
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1    # only the suspect clip was extracted

"""Follow the person who exercises, not a bystander.

MediaPipe's legacy pose solution tracks one person: the first it finds. When someone stands still in
front of the camera while another person exercises, the whole extraction describes the wrong body. After
a video's pose pass (one pass or span-parallel, the same), `follow_mover` checks in three steps, each
only when the previous one gives reason to:

1. Does the tracked person barely move? Judged from the landmarks already extracted, in body-size terms
   (limb travel over the clip in torso lengths), so it costs nothing for the usual clip.
2. Does a large region elsewhere move a lot? A motion-energy map over the clip: frames decoded once more
   at low resolution, each pixel's share of frames in which it changes, its largest persistent moving
   region (scipy.ndimage) compared with the tracked person's box. Memory is one frame and one map.
3. Re-extract with the frames cropped (padded) to that region, map the landmarks back to full-frame
   coordinates, and keep the result only if that person moves clearly more than the tracked one.

The kept sequence says so in `metadata["followed_mover"]` (the crop box, both motion figures).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy import ndimage

from gyml.pose.sequence import PoseSequence

# MediaPipe landmark indices
_SHOULDERS = (11, 12)
_HIPS = (23, 24)
_LIMBS = (13, 14, 15, 16, 25, 26, 27, 28)   # elbows, wrists, knees, ankles

STILL_TRAVEL = 0.6        # limb travel (torso lengths) under which the tracked person "barely moves"
MOTION_SIDE = 96          # longer side of the frames the motion map is computed on
CHANGE_LEVEL = 18         # grey-level change (0-255) that counts a pixel as moving in a frame
CAMERA_MOTION_SHARE = 0.5  # a frame where more than this share of pixels change is camera motion: skipped
PERSISTENT_SHARE = 0.12   # a pixel that changes in at least this share of frames belongs to a moving region
MIN_REGION_BODY = 0.25    # the moving region must be at least this share of the tracked body's box area
OUTSIDE_RATIO = 2.0       # ... and move this many times more outside the tracked body's box than in it
CROP_PAD = 0.6            # the crop adds this share of the region's size on every side
MORE_TRAVEL = 1.5         # the re-extracted person is kept when moving this many times more
MIN_FOUND_SHARE = 0.5     # ... and found in at least this share of the frames


def limb_travel(image_landmarks: np.ndarray | None, width: int, height: int) -> float:
    """How far the tracked person's elbows, wrists, knees and ankles travel over the clip, in torso
    lengths (the 90th percentile over limbs of each one's 5-95 % position spread). 0 when nobody."""
    if image_landmarks is None or not len(image_landmarks):
        return 0.0
    px = np.asarray(image_landmarks, dtype=np.float64) * (width, height)
    found = np.isfinite(px).all(axis=(1, 2))
    if found.sum() < 3:
        return 0.0
    px = px[found]
    torso = np.linalg.norm(px[:, _SHOULDERS].mean(axis=1) - px[:, _HIPS].mean(axis=1), axis=1)
    torso_len = float(np.median(torso))
    if not torso_len > 0:
        return 0.0
    limbs = px[:, _LIMBS]
    spread = np.linalg.norm(np.percentile(limbs, 95, axis=0) - np.percentile(limbs, 5, axis=0), axis=1)
    return float(np.percentile(spread, 90) / torso_len)


def body_box(image_landmarks: np.ndarray) -> tuple[float, float, float, float] | None:
    """The tracked person's typical box (x0, y0, x1, y1) in normalised image coordinates: the median over
    frames of each frame's landmark box."""
    pts = np.asarray(image_landmarks, dtype=np.float64)
    found = np.isfinite(pts).all(axis=(1, 2))
    if not found.any():
        return None
    pts = pts[found]
    lo, hi = pts.min(axis=1), pts.max(axis=1)
    box = np.concatenate([np.median(lo, axis=0), np.median(hi, axis=0)])
    return tuple(float(v) for v in np.clip(box, 0.0, 1.0))


def motion_map(frames) -> np.ndarray | None:
    """Per pixel, the share of frames in which its grey level changes by CHANGE_LEVEL or more, over
    (H, W) grey or (H, W, 3) RGB uint8 frames (any iterable, consumed once); frames dominated by camera
    motion are skipped."""
    previous = None
    counts = None
    used = 0
    for frame in frames:
        grey = frame.astype(np.int16)
        if grey.ndim == 3:
            grey = grey.sum(axis=2) // 3
        if previous is not None:
            changed = np.abs(grey - previous) >= CHANGE_LEVEL
            if changed.mean() <= CAMERA_MOTION_SHARE:
                counts = changed.astype(np.int32) if counts is None else counts + changed
                used += 1
        previous = grey
    if counts is None or used < 3:
        return None
    return counts / used


def iter_luma(path: Path, max_side: int = MOTION_SIDE):
    """Grey frames as displayed, at most `max_side` pixels on the longer side: the decoder's luma plane
    block-averaged, with no colour conversion or scaling pass (those cost ten times the decoding here)."""
    import av

    from gyml.pose.readers import video

    rotation = video.probe_video(path).rotation
    with video._open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                if frame.format.name in ("yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p",
                                         "nv12", "gray"):
                    plane = frame.planes[0]
                    luma = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, :plane.width]
                else:
                    luma = frame.to_ndarray(format="gray")
                yield video.upright(_block_mean(luma, max(1, int(np.ceil(max(luma.shape) / max_side)))), rotation)
        except av.error.FFmpegError:
            return   # a damaged tail: the frames so far tell where the motion is


def _block_mean(grey: np.ndarray, step: int) -> np.ndarray:
    """`grey` shrunk `step` times by averaging step x step blocks (averaging, unlike picking every
    step-th pixel, keeps sensor noise from counting as motion)."""
    if step == 1:
        return grey
    h, w = grey.shape[0] // step * step, grey.shape[1] // step * step
    blocks = grey[:h, :w].reshape(h // step, step, w // step, step)
    return (blocks.sum(axis=(1, 3), dtype=np.uint32) // (step * step)).astype(np.uint8)


@dataclass(frozen=True)
class MovingRegion:
    box: tuple[float, float, float, float]   # normalised (x0, y0, x1, y1)
    area_vs_body: float                      # region area / tracked body's box area
    outside_vs_inside: float                 # the lower of: energy outside / inside the body's box, and density
    body: tuple[float, float, float, float]  # the tracked person's box it was compared with
    body_travel: float = 0.0                 # the tracked person's limb travel (torso lengths)


def moving_region(energy: np.ndarray, body: tuple[float, float, float, float]) -> MovingRegion | None:
    """The largest persistently moving region of a motion map, compared with the tracked body's box."""
    h, w = energy.shape
    moving = ndimage.binary_closing(energy >= PERSISTENT_SHARE, structure=np.ones((3, 3)), iterations=2)
    labels, count = ndimage.label(moving)
    if not count:
        return None
    weights = ndimage.sum(energy, labels, index=np.arange(1, count + 1))
    best = int(np.argmax(weights)) + 1
    ys, xs = np.nonzero(labels == best)
    box = (xs.min() / w, ys.min() / h, (xs.max() + 1) / w, (ys.max() + 1) / h)
    x0, y0, x1, y1 = (int(round(body[0] * w)), int(round(body[1] * h)),
                      int(round(body[2] * w)), int(round(body[3] * h)))
    body_mask = np.zeros_like(moving)
    body_mask[y0:max(y1, y0 + 1), x0:max(x1, x0 + 1)] = True
    region = labels == best
    outside_part = region & ~body_mask
    # Most of the moving region's energy lies outside the body's box (a person's own motion spills out
    # of the landmark box only at its edges) ...
    energy_ratio = float(energy[outside_part].sum()) / max(float(energy[region & body_mask].sum()), 1e-6)
    # ... and it moves more densely than the box does (when the camera moves, all of the picture does).
    outside_density = float(energy[outside_part].mean()) if outside_part.any() else 0.0
    density_ratio = outside_density / max(float(energy[body_mask].mean()), 1e-6)
    body_area = max((body[2] - body[0]) * (body[3] - body[1]), 1e-6)
    area = (box[2] - box[0]) * (box[3] - box[1])
    return MovingRegion(box, area / body_area, min(energy_ratio, density_ratio), body)


def crop_box(region: tuple[float, float, float, float], width: int, height: int
             ) -> tuple[int, int, int, int]:
    """The region padded by CROP_PAD on every side, clipped to the frame, in pixels (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = region
    pad_x, pad_y = (x1 - x0) * CROP_PAD, (y1 - y0) * CROP_PAD
    return (max(0, int((x0 - pad_x) * width)), max(0, int((y0 - pad_y) * height)),
            min(width, int(np.ceil((x1 + pad_x) * width))), min(height, int(np.ceil((y1 + pad_y) * height))))


def extract_cropped(path: Path, box_px: tuple[int, int, int, int], frame_size: tuple[int, int]):
    """Pose pass over frames cropped to `box_px` (pixels of frames scaled to `frame_size`); image
    landmarks mapped back to full-frame normalised coordinates."""
    from gyml.pose.readers import video

    x0, y0, x1, y1 = box_px
    fw, fh = frame_size
    cropped = ((np.ascontiguousarray(rgb[y0:y1, x0:x1]), t) for rgb, t in video.iter_timed_frames(path))
    poses = video.track_frames(cropped)
    image = (poses.image * (x1 - x0, y1 - y0) + (x0, y0)) / (fw, fh)
    return replace(poses, image=image.astype(np.float32))


def video_frame_size(path: Path) -> tuple[int, int]:
    from gyml.pose.readers import video

    for rgb, _ in video.iter_timed_frames(path):
        return rgb.shape[1], rgb.shape[0]
    return 0, 0


def suspect_region(path: str | Path, seq: PoseSequence) -> MovingRegion | None:
    """Steps 1 and 2: the region to re-extract, or None when the tracked person is the one who moves
    (most clips: decided from the landmarks alone) or nothing else moves much."""
    width, height = int(seq.metadata.get("width") or 1), int(seq.metadata.get("height") or 1)
    lm = seq.image_landmarks
    travel = limb_travel(lm, width, height)
    if lm is None or travel >= STILL_TRAVEL:
        return None
    body = body_box(lm)
    if body is None:
        return None
    energy = motion_map(iter_luma(Path(path)))
    if energy is None:
        return None
    region = moving_region(energy, body)
    if region is None or region.area_vs_body < MIN_REGION_BODY or region.outside_vs_inside < OUTSIDE_RATIO:
        return None
    return replace(region, body_travel=travel)


def follow_mover(path: str | Path, seq: PoseSequence) -> PoseSequence:
    """`seq` (a video's poses) or, when the tracked person barely moves while a large region elsewhere
    moves a lot, the poses of the person in that region (see the module's doc)."""
    from gyml.pose.readers.mediapipe_landmarks import landmarks_to_sequence

    path = Path(path)
    region = suspect_region(path, seq)
    if region is None:
        return seq
    width, height = int(seq.metadata.get("width") or 1), int(seq.metadata.get("height") or 1)
    before = region.body_travel
    frame_size = video_frame_size(path)
    box_px = crop_box(region.box, *frame_size)
    poses = extract_cropped(path, box_px, frame_size)
    found = np.isfinite(poses.world).all(axis=(1, 2)).mean() if len(poses.times) else 0.0
    after = limb_travel(poses.image, width, height)
    if found < MIN_FOUND_SHARE or after < MORE_TRAVEL * max(before, 0.05) or len(poses.times) != len(seq):
        return seq
    fw, fh = frame_size
    followed = {"crop": [round(box_px[0] / fw, 3), round(box_px[1] / fh, 3), round(box_px[2] / fw, 3),
                         round(box_px[3] / fh, 3)],
                "tracked_box": [round(v, 3) for v in region.body],
                "travel_before": round(before, 2), "travel_after": round(after, 2)}
    moved = landmarks_to_sequence(poses.world, poses.visibility, seq.fps, seq.source,
                                  image_landmarks=poses.image,
                                  metadata={**seq.metadata, "followed_mover": followed})
    return replace(moved, times=seq.times)


def video_beside(pose_file: Path, seq: PoseSequence) -> Path | None:
    """The video a stored pose file was extracted from, when it lies beside it (`x.npz` next to the video,
    or `poses/x.npz` next to `videos/`)."""
    name = seq.metadata.get("file") if seq.source == "video" else None
    if not name:
        return None
    for folder in (pose_file.parent, pose_file.parent.parent, pose_file.parent.parent / "videos"):
        if (folder / name).is_file():
            return folder / name
    return None


def needs_reextraction(pose_file: Path, seq: PoseSequence) -> Path | None:
    """The video to read again (through the pose cache) when poses stored beside it may follow a
    bystander: extracted before this check, or after it without a moving person being kept."""
    if "followed_mover" in seq.metadata:
        return None
    video = video_beside(pose_file, seq)
    return video if video is not None and suspect_region(video, seq) is not None else None

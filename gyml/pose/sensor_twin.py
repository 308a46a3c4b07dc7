"""RepCount-like twins of 3D poses: the same motion seen through the sensor model of RepCount-pose files.

A RepCount-pose file holds MediaPipe's image landmarks (x, y in the picture, z MediaPipe's relative depth),
each frame min-max normalised per axis; gyml reads it back by restoring the body's proportions from its
bone lengths (gyml.pose.axis_scales). What comes out never looks like 3D world landmarks: a forward arm
swing filmed from the front lives mostly in the noisy depth axis, a body lying along the camera's axis is
foreshortened in the picture. A model that judges such input learns best from motion passed through the
same sensor model, so this module turns any 3D pose sequence into that input:

    3D joints -> MediaPipe's 33 landmarks -> a camera (perspective picture, depth relative to the hips, as
    MediaPipe's image z) -> per-frame min-max per axis -> the RepCount read path
    (`normalised_landmarks_to_sequence`), unchanged.

A video's poses keep MediaPipe's own picture landmarks (x, y) and take the depth from its world landmarks.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from gyml.pose.readers.mediapipe_landmarks import MEDIAPIPE_TO_WORLD, NUM_LANDMARKS
from gyml.pose.readers.repcount import normalised_landmarks_to_sequence
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import JOINT, NUM_JOINTS, body_frame, torso_length


@dataclass(frozen=True)
class Camera:
    """A phone filming the scene: turned `yaw_deg` about the vertical, tilted down by `pitch_deg`
    (negative: from below), `distance_m` from the body's centre."""

    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    distance_m: float = 3.0


@dataclass(frozen=True)
class SensorNoise:
    """MediaPipe's picture coordinates are tight, its relative depth is rough: noise per landmark and frame,
    in torso lengths, smoothed over `smooth_frames` frames (a detector's errors drift, they do not flicker)."""

    picture: float = 0.01
    depth: float = 0.08
    smooth_frames: int = 5


def random_camera(rng: np.random.Generator) -> Camera:
    """Where a phone stands when someone films their own set: any side, from the floor to head height."""
    return Camera(yaw_deg=float(rng.uniform(-180, 180)), pitch_deg=float(rng.uniform(-15, 30)),
                  distance_m=float(rng.uniform(2.0, 5.0)))


def random_noise(rng: np.random.Generator, picture: tuple[float, float] = (0.02, 0.1),
                 depth: tuple[float, float] = (0.1, 0.4), smooth_frames: int = 31) -> SensorNoise:
    """A detector's error level, log-uniform in the given ranges (torso lengths). The defaults make
    synthesised sets' twins vary as much as RepCount-pose dev's recordings do, slowly (std of hip
    abduction and knee-out angles 15.7 / 9.4 degrees against RepCount's 13.2 / 8.2 at about the same
    frame-to-frame speed); white noise of that size made the twins jitter three times faster than RepCount."""
    def draw(low: float, high: float) -> float:
        return float(np.exp(rng.uniform(np.log(low), np.log(high))))

    return SensorNoise(picture=draw(*picture), depth=draw(*depth), smooth_frames=smooth_frames)


def landmarks_from_joints(joints: np.ndarray) -> np.ndarray:
    """(T, 24, 3) canonical joints (y up) -> (T, 33, 3) MediaPipe landmarks in the same axes. The joints
    MediaPipe has as such are copied; face, hand and foot points are placed from the head, hands and feet
    with typical offsets in torso lengths, so that each frame's extent (which per-axis min-max normalisation
    keys on) is a body's, not a stick figure's."""
    j = np.asarray(joints, dtype=np.float64)
    out = np.full((len(j), NUM_LANDMARKS, 3), np.nan)
    direct = {11: "left_shoulder", 12: "right_shoulder", 13: "left_elbow", 14: "right_elbow",
              15: "left_wrist", 16: "right_wrist", 23: "left_hip", 24: "right_hip", 25: "left_knee",
              26: "right_knee", 27: "left_ankle", 28: "right_ankle", 31: "left_foot", 32: "right_foot"}
    for landmark, name in direct.items():
        out[:, landmark] = j[:, JOINT[name]]
    scale = torso_length(j) if np.isfinite(j).any() else 0.5
    with np.errstate(invalid="ignore"):
        _, left, forward = body_frame(np.nan_to_num(j))
        up = j[:, JOINT["head"]] - j[:, JOINT["neck"]]
        up /= np.maximum(np.linalg.norm(up, axis=1, keepdims=True), 1e-9)
    head = j[:, JOINT["head"]]

    def at(fwd: float, upward: float, side: float) -> np.ndarray:
        return head + scale * (fwd * forward + upward * up + side * left)

    out[:, 0] = at(0.18, 0.0, 0.0)                                   # nose
    for k, side in zip((1, 2, 3), (0.03, 0.06, 0.08)):              # left eye inner, eye, outer
        out[:, k] = at(0.15, 0.05, side)
        out[:, k + 3] = at(0.15, 0.05, -side)                        # right eye
    out[:, 7], out[:, 8] = at(0.0, 0.02, 0.14), at(0.0, 0.02, -0.14)  # ears
    out[:, 9], out[:, 10] = at(0.15, -0.08, 0.05), at(0.15, -0.08, -0.05)  # mouth
    for side, first in (("left", 17), ("right", 18)):
        wrist, hand = j[:, JOINT[f"{side}_wrist"]], j[:, JOINT[f"{side}_hand"]]
        out[:, first] = hand                                         # pinky
        out[:, first + 2] = hand + 0.3 * (hand - wrist)              # index
        out[:, first + 4] = 0.5 * (wrist + hand)                     # thumb
        ankle, foot = j[:, JOINT[f"{side}_ankle"]], j[:, JOINT[f"{side}_foot"]]
        out[:, 29 + (side == "right")] = ankle + 0.3 * (ankle - foot)  # heel
    return out


def _picture(points: np.ndarray, camera: Camera) -> np.ndarray:
    """(T, 33, 3) world points (y up, z towards the camera at yaw 0) -> MediaPipe image axes: x right and
    y down in the picture (perspective), z depth relative to the hips' midpoint on x's scale."""
    from scipy.spatial.transform import Rotation

    centre = np.nanmedian(points.reshape(-1, 3), axis=0)
    turn = Rotation.from_euler("xy", [camera.pitch_deg, camera.yaw_deg], degrees=True)
    seen = turn.apply(np.nan_to_num(points - centre).reshape(-1, 3)).reshape(points.shape)
    seen[~np.isfinite(points).all(axis=2)] = np.nan
    depth = camera.distance_m - seen[..., 2]                          # distance along the camera's axis
    depth = np.maximum(depth, 0.2)
    x, y = seen[..., 0] / depth, -seen[..., 1] / depth
    hips = depth[:, [23, 24]].mean(axis=1, keepdims=True)
    z = (depth - hips) / hips                                         # on the picture's scale, like x
    return np.stack([x, y, z], axis=2)


def _noisy(points: np.ndarray, noise: SensorNoise, rng: np.random.Generator) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)      # frames without a pose are all NaN
        extent = np.nanmax(np.nanmax(points[..., 1], axis=1) - np.nanmin(points[..., 1], axis=1)) \
            if np.isfinite(points).any() else 1.0
    torso = 0.3 * extent if np.isfinite(extent) and extent > 0 else 0.3   # a torso is ~0.3 of a body's height
    jitter = rng.normal(size=points.shape) * np.array([noise.picture, noise.picture, noise.depth]) * torso
    if noise.smooth_frames > 1 and len(points) > 1:
        jitter = uniform_filter1d(jitter, noise.smooth_frames, axis=0) * np.sqrt(noise.smooth_frames)
    return points + jitter


def minmax_per_axis(points: np.ndarray) -> np.ndarray:
    """Each frame's landmarks stretched to [0, 1] on each axis separately (RepCount-pose's storage)."""
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)      # frames without a pose are all NaN
        low = np.nanmin(points, axis=1, keepdims=True)
        high = np.nanmax(points, axis=1, keepdims=True)
        return (points - low) / np.maximum(high - low, 1e-9)


def repcount_twin(seq: PoseSequence, camera: Camera | None = None, noise: SensorNoise | None = None,
                  rng: np.random.Generator | None = None) -> PoseSequence:
    """`seq` as a RepCount-pose file would hold it, read back through the RepCount read path.

    A video's poses (MediaPipe picture landmarks stored) keep their picture x, y and take the depth from
    their world joints, as filmed; any other 3D sequence is filmed by `camera` (default: facing the body's
    coordinates). `noise` (default none) adds a detector's errors before the normalisation."""
    rng = rng if rng is not None else np.random.default_rng(0)
    if seq.joints.shape[1] != NUM_JOINTS:
        raise ValueError(f"expected canonical joints (T, {NUM_JOINTS}, 3), got {seq.joints.shape}")
    if has_picture(seq):
        points = video_picture_points(seq)
    else:
        joints = np.where(seq.present[:, None, None], seq.joints, np.nan).astype(np.float64)
        points = _picture(landmarks_from_joints(joints), camera or Camera())
    if noise is not None:
        points = _noisy(points, noise, rng)
    stored = minmax_per_axis(points)
    stored[~np.isfinite(stored).all(axis=(1, 2))] = 0.0              # RepCount stores "nobody" as zeros
    twin = normalised_landmarks_to_sequence(stored, float(seq.fps or 30.0),
                                            {"twin_of": seq.source, **({"camera": camera.__dict__} if camera else {})})
    return twin


def has_picture(seq: PoseSequence) -> bool:
    """A video's poses: MediaPipe's own picture landmarks are stored beside the world joints."""
    image = seq.image_landmarks
    return seq.source == "video" and image is not None and image.shape[1:] == (NUM_LANDMARKS, 2)


def video_picture_points(seq: PoseSequence) -> np.ndarray:
    """(T, 33, 3) what MediaPipe's image landmarks of a video would hold before any normalisation: the
    picture's x, y and a depth relative to the hips taken from the world joints, on the picture's scale.
    x is stretched to the frame's aspect (width / height, when the metadata tells it) so that the three axes
    share one unit, as in the scene; per-axis min-max normalisation then removes exactly that geometry."""
    joints = np.where(seq.present[:, None, None], seq.joints, np.nan).astype(np.float64)
    world = landmarks_from_joints(joints)
    image = np.asarray(seq.image_landmarks, np.float64).copy()
    width, height = seq.metadata.get("width"), seq.metadata.get("height")
    if width and height:
        image[..., 0] *= float(width) / float(height)
    # World landmarks are camera-aligned (MediaPipe axes flipped to y up): depth from the camera is -z.
    hips = world[:, [23, 24], 2].mean(axis=1, keepdims=True)
    scale = _picture_per_metre(image, world)
    z = -(world[..., 2] - hips) * scale[:, None]
    points = np.concatenate([image, z[..., None]], axis=2)
    points[~np.isfinite(points).all(axis=2).any(axis=1)] = np.nan
    return points


def _picture_per_metre(image: np.ndarray, world: np.ndarray) -> np.ndarray:
    """Per frame: picture-width units per metre, from the shoulder-to-hip lengths in both."""
    def trunk(p: np.ndarray) -> np.ndarray:
        return 0.5 * (np.linalg.norm(p[:, 11, :2] - p[:, 23, :2], axis=1)
                      + np.linalg.norm(p[:, 12, :2] - p[:, 24, :2], axis=1))

    world_trunk = 0.5 * (np.linalg.norm(world[:, 11] - world[:, 23], axis=1)
                         + np.linalg.norm(world[:, 12] - world[:, 24], axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = trunk(np.asarray(image, np.float64)) / world_trunk
    ok = np.isfinite(ratio) & (ratio > 0)
    return np.where(ok, ratio, np.nanmedian(ratio[ok]) if ok.any() else 1.0)


def world_axes(points: np.ndarray) -> np.ndarray:
    """MediaPipe image axes -> gyml's (y up, z towards the camera), for checks on a twin's landmarks."""
    return points * MEDIAPIPE_TO_WORLD

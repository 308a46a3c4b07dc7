"""Test-time augmentation of the pose reading: each frame read as filmed and as its horizontal mirror.

MediaPipe's world landmarks take their depth from one picture, and that depth is noisy: a straight body
can read bent by 5-20 degrees. The mirrored picture is a second, partly independent reading of the same
pose. A second tracker follows the mirrored frames; its landmarks are mirrored back (x -> -x in world
coordinates, x -> 1 - x in the picture, left and right landmarks swapped) and averaged with the first
reading. What depends only on the person (their pose) agrees between the readings; what the model adds
from the picture's handedness partly cancels.

The pair of readings is cached as extracted (`read_pair`), and the average is taken when read, so the
averaging can change without re-reading any video. The model runs twice per frame: the extraction costs
about twice as much (benchmarks/coach_mirror.py prints the ratio).

Pure numpy here: `unmirror`, `average_readings`, and the steadiness figures (`bone_length_spread`,
`landmark_jitter`) the averaging was chosen by.

An option (`gyml extract --mirrored`, `cached_read_pose(path, mirrored_average=True)`): the coach reads
videos as filmed. On push-up coaching the averaged reading was no clear gain (docs/coaching.md,
docs/lab-notes/coach.md).
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from gyml.errors import GymlError
from gyml.pose.readers.mediapipe_landmarks import NUM_LANDMARKS
from gyml.pose.sequence import PoseSequence

# MediaPipe's 33 landmarks: the index of each one's mirror image (nose and body centre map to themselves).
_PAIRS = [(1, 4), (2, 5), (3, 6), (7, 8), (9, 10)] + [(i, i + 1) for i in range(11, 33, 2)]
MIRROR_INDEX = np.arange(NUM_LANDMARKS)
for _a, _b in _PAIRS:
    MIRROR_INDEX[_a], MIRROR_INDEX[_b] = _b, _a

# "visibility": each landmark weighted by the model's visibility in each reading; "mean": plain mean.
WEIGHTINGS = ("visibility", "mean")
DEFAULT_WEIGHTING = "mean"
PAIR_VERSION = "mirror-pair-v1"

# Bones between MediaPipe landmarks whose length is fixed in a person: upper arms, forearms, thighs, shins,
# shoulder and hip width, torso sides.
BONES = ((11, 13), (12, 14), (13, 15), (14, 16), (23, 25), (24, 26), (25, 27), (26, 28), (11, 12), (23, 24),
         (11, 23), (12, 24))
BODY_LANDMARKS = (0, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)


@dataclass
class Reading:
    """One pass of the pose model over a video's frames (MediaPipe's axes)."""

    world: np.ndarray       # (T, 33, 3), NaN where nobody
    image: np.ndarray       # (T, 33, 2) normalised picture coordinates
    visibility: np.ndarray  # (T, 33), 0 where nobody


def unmirror(reading: Reading) -> Reading:
    """A reading of horizontally mirrored frames, expressed as a reading of the frames as filmed."""
    world = np.array(reading.world, dtype=np.float64)[:, MIRROR_INDEX]
    world[..., 0] *= -1.0
    image = np.array(reading.image, dtype=np.float64)[:, MIRROR_INDEX]
    image[..., 0] = 1.0 - image[..., 0]
    return Reading(world, image, np.array(reading.visibility, dtype=np.float64)[:, MIRROR_INDEX])


def average_readings(a: Reading, b: Reading, weighting: str = DEFAULT_WEIGHTING) -> Reading:
    """The two readings of the same frames averaged landmark by landmark. A frame or landmark only one
    reading found is that reading's; visibility is the readings' mean over those that found it."""
    if weighting not in WEIGHTINGS:
        raise GymlError(f"unknown weighting {weighting!r} (one of {', '.join(WEIGHTINGS)})")
    found = np.stack([np.isfinite(r.world).all(axis=2) & np.isfinite(r.image).all(axis=2) for r in (a, b)])
    vis = np.stack([np.nan_to_num(np.asarray(r.visibility, np.float64)) for r in (a, b)])
    if weighting == "visibility":
        w = np.clip(vis, 1e-3, 1.0)
    else:
        w = np.ones_like(vis)
    w = np.where(found, w, 0.0)
    total = w.sum(axis=0)
    share = np.divide(w, total, out=np.zeros_like(w), where=total > 0)[..., None]
    world = sum(share[i] * np.nan_to_num(np.asarray(r.world, np.float64)) for i, r in enumerate((a, b)))
    image = sum(share[i] * np.nan_to_num(np.asarray(r.image, np.float64)) for i, r in enumerate((a, b)))
    count = found.sum(axis=0)
    visibility = np.divide((vis * found).sum(axis=0), count, out=np.zeros(count.shape), where=count > 0)
    nobody = count == 0
    world[nobody] = np.nan
    image[nobody] = np.nan
    return Reading(world, image, visibility)


def bone_length_spread(world: np.ndarray) -> float:
    """How much the person's fixed bones change length over the frames: the median over BONES of each
    bone's robust relative spread (interquartile range / median length). 0 for a rigid reading."""
    world = np.asarray(world, dtype=np.float64)
    spreads = []
    for i, j in BONES:
        length = np.linalg.norm(world[:, i] - world[:, j], axis=1)
        length = length[np.isfinite(length)]
        if len(length) >= 3 and np.median(length) > 0:
            q1, q3 = np.percentile(length, [25, 75])
            spreads.append((q3 - q1) / np.median(length))
    return float(np.median(spreads)) if spreads else float("nan")


def landmark_jitter(world: np.ndarray) -> float:
    """Frame-to-frame shake of the body's landmarks: the median size of the second difference of their
    world positions (metres), which smooth movement keeps small and noise does not."""
    world = np.asarray(world, dtype=np.float64)[:, BODY_LANDMARKS]
    if len(world) < 3:
        return float("nan")
    accel = np.linalg.norm(world[2:] - 2 * world[1:-1] + world[:-2], axis=2)
    accel = accel[np.isfinite(accel)]
    return float(np.median(accel)) if len(accel) else float("nan")


# ---------------------------------------------------------------------------------------------- reading


@dataclass
class ReadingPair:
    """A video's frames read as filmed (`plain`) and mirrored (`mirrored`, already mirrored back)."""

    times: np.ndarray
    plain: Reading
    mirrored: Reading
    fps: float
    width: int
    height: int
    rotation: int
    extract_seconds: float = float("nan")   # processor time of the extraction, when it was measured


def _mirror_frames(frames: Iterator[tuple[np.ndarray, float]]):
    for rgb, t in frames:
        yield rgb, np.ascontiguousarray(rgb[:, ::-1]), t


def track_pair(frames: Iterator[tuple[np.ndarray, float]], expected: int | None = None,
               progress: Callable[[int, int | None], None] | None = None):
    """Two MediaPipe trackers, one over the frames and one over their mirror images -> (SpanPoses as
    filmed, SpanPoses of the mirrored frames, not yet mirrored back). Decoding runs in the background."""
    from gyml.pose.readers.video import landmarks_of, pose_estimator, prefetch_frames, quiet_native_logs
    from gyml.pose.readers.video_chunks import LandmarkBuffer

    plain_model, mirror_model = pose_estimator(), pose_estimator()
    plain, mirrored = LandmarkBuffer(expected or 1024), LandmarkBuffer(expected or 1024)
    with plain_model, mirror_model, quiet_native_logs(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, (rgb, flipped, t) in enumerate(prefetch_frames(_mirror_frames(frames))):
            plain.append(t, *landmarks_of(plain_model.process(rgb)))
            mirrored.append(t, *landmarks_of(mirror_model.process(flipped)))
            if progress is not None:
                progress(i + 1, max(expected, i + 1) if expected else None)
    return plain.finish(), mirrored.finish()


def extract_pair(path: str | Path, progress: Callable[[int, int | None], None] | None = None) -> ReadingPair:
    """Read a video's frames as filmed and mirrored, in one decoding pass."""
    import time

    from gyml.pose.readers.video import display_times, iter_timed_frames, probe_video

    path = Path(path)
    probe = probe_video(path)
    started = time.process_time()
    plain, mirrored = track_pair(iter_timed_frames(path, probe=probe), probe.expected_frames, progress)
    if not len(plain.times):
        raise GymlError(f"{path.name}: the video has no decodable frames (empty or truncated)")
    return ReadingPair(times=display_times(plain.times),
                       plain=Reading(plain.world, plain.image, plain.visibility),
                       mirrored=unmirror(Reading(mirrored.world, mirrored.image, mirrored.visibility)),
                       fps=probe.fps, width=probe.width, height=probe.height, rotation=probe.rotation,
                       extract_seconds=time.process_time() - started)


def pair_key(path: str | Path) -> str:
    from gyml.pose.cache import content_key

    return hashlib.sha256(f"{PAIR_VERSION}:{content_key(path)}".encode()).hexdigest()


def save_pair(pair: ReadingPair, path: Path) -> None:
    from gyml.pose.sequence import write_atomically

    arrays = {"times": pair.times, "fps": np.float64(pair.fps),
              "frame": np.array([pair.width, pair.height, pair.rotation], np.int64),
              "extract_seconds": np.float64(pair.extract_seconds)}
    for name, reading in (("plain", pair.plain), ("mirrored", pair.mirrored)):
        arrays[f"{name}_world"] = np.asarray(reading.world, np.float32)
        arrays[f"{name}_image"] = np.asarray(reading.image, np.float32)
        arrays[f"{name}_visibility"] = np.asarray(reading.visibility, np.float32)
    write_atomically(path, lambda fh: np.savez_compressed(fh, **arrays))


def load_pair(path: Path) -> ReadingPair:
    from gyml.pose.bounded_npy import READ_ERRORS

    try:
        with np.load(path, allow_pickle=False) as data:
            readings = {name: Reading(data[f"{name}_world"], data[f"{name}_image"], data[f"{name}_visibility"])
                        for name in ("plain", "mirrored")}
            width, height, rotation = (int(v) for v in data["frame"])
            return ReadingPair(np.asarray(data["times"]), readings["plain"], readings["mirrored"],
                               float(data["fps"]), width, height, rotation, float(data["extract_seconds"]))
    except READ_ERRORS as exc:
        raise GymlError(f"{path.name}: cannot read a cached mirrored reading ({type(exc).__name__})") from None


def read_pair(path: str | Path, progress=None, folder: Path | None = None) -> ReadingPair:
    """`extract_pair`, memoised in the pose cache under the video's content hash (its own key)."""
    from gyml.pose.cache import cache_dir, memoised

    return memoised((folder or cache_dir()) / f"{pair_key(path)}.npz", load_pair,
                    lambda: extract_pair(path, progress), save_pair)


def reading_to_sequence(path: str | Path, pair: ReadingPair, reading: Reading, metadata: dict | None = None
                        ) -> PoseSequence:
    """The pose sequence of one reading of `pair`'s frames, finished as `read_pose` finishes a video's: the
    mover check, absent joints, plausibility."""
    from gyml.pose.readers import finish_sequence
    from gyml.pose.readers.mediapipe_landmarks import landmarks_to_sequence
    from gyml.pose.readers.mover import follow_mover

    path = Path(path)
    metadata = {"file": path.name, "width": pair.width, "height": pair.height, "rotation": pair.rotation,
                **(metadata or {})}
    seq = landmarks_to_sequence(reading.world, reading.visibility, pair.fps, "video",
                                image_landmarks=np.asarray(reading.image, np.float32), metadata=metadata)
    seq = replace(seq, times=pair.times)
    # A bystander followed instead of the mover: the crop is read once, as filmed (rare; said in metadata).
    seq = follow_mover(path, seq)
    if "followed_mover" in seq.metadata:
        seq.metadata.pop("mirrored_average", None)
    return finish_sequence(path, seq)


def pair_to_sequence(path: str | Path, pair: ReadingPair, weighting: str = DEFAULT_WEIGHTING) -> PoseSequence:
    """The pose sequence of the two readings averaged (see `reading_to_sequence`)."""
    return reading_to_sequence(path, pair, average_readings(pair.plain, pair.mirrored, weighting),
                               {"mirrored_average": weighting})


def extract_mirrored(path: str | Path, progress=None, weighting: str = DEFAULT_WEIGHTING) -> PoseSequence:
    """`read_video_mirrored` without the cache (`gyml extract --mirrored`)."""
    from gyml.pose.readers import sniff_format

    path = Path(path)
    if sniff_format(path) != "video":
        raise GymlError(f"{path.name}: --mirrored reads videos; this is not one")
    return pair_to_sequence(path, extract_pair(path, progress), weighting)


def read_video_mirrored(path: str | Path, *, progress=None, weighting: str = DEFAULT_WEIGHTING,
                        folder: Path | None = None) -> PoseSequence:
    """A video's poses, each frame read as filmed and mirrored and the readings averaged (cached)."""
    return pair_to_sequence(path, read_pair(path, progress, folder), weighting)

"""`PoseSequence`: the one representation every stage of gyml works on."""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gyml.errors import GymlError
from gyml.pose.skeleton import JOINT_NAMES, NUM_JOINTS
from gyml.validate import check_fps, check_frame_count

NPZ_FORMAT_VERSION = 1


@dataclass
class PoseSequence:
    """A person's 3D pose over time, in the canonical SMPL 24-joint set.

    joints:      (T, 24, 3) float32, metres, y up; NaN where a joint is unknown.
    confidence:  (T, 24) float32 in [0, 1]; 0 marks a missing joint (a frame with nobody is all 0).
    fps:         frames per second of the source.
    smpl_pose:   optional (T, 24, 3) SMPL axis-angle (joint 0 = global orientation).
    image_landmarks: optional (T, K, 2) normalised image coordinates, for overlays.
    source:      which reader produced it (video, phalp, flag3d, flag3d_keypoints, repcount, npz, csv, synth).
    metadata:    JSON-serialisable facts about the source (file name, labels, planted faults, ...).
    times:       optional (T,) seconds of each frame from the recording's first (a video's timestamps:
                 a variable frame rate is timed by them); None: frames are 1/fps apart.
    """

    joints: np.ndarray
    confidence: np.ndarray
    fps: float
    smpl_pose: np.ndarray | None = None
    image_landmarks: np.ndarray | None = None
    source: str = "unknown"
    metadata: dict = field(default_factory=dict)
    times: np.ndarray | None = None

    def __post_init__(self) -> None:
        with np.errstate(over="ignore", invalid="ignore"):  # beyond float32's range -> inf -> unknown, below
            self.joints = np.asarray(self.joints, dtype=np.float32)
            self.confidence = np.asarray(self.confidence, dtype=np.float32)
        if self.joints.ndim != 3 or self.joints.shape[1:] != (NUM_JOINTS, 3):
            raise GymlError(f"pose joints must have shape (T, {NUM_JOINTS}, 3), got {self.joints.shape}")
        if self.confidence.shape != self.joints.shape[:2]:
            raise GymlError(
                f"confidence must have shape {self.joints.shape[:2]}, got {self.confidence.shape}"
            )
        self.fps = float(check_fps(self.fps, "frame rate"))
        if self.smpl_pose is not None:
            self.smpl_pose = np.asarray(self.smpl_pose, dtype=np.float32)
            if self.smpl_pose.shape != (len(self), NUM_JOINTS, 3):
                raise GymlError(f"smpl_pose must have shape ({len(self)}, 24, 3), got {self.smpl_pose.shape}")
        if self.image_landmarks is not None:
            self.image_landmarks = np.asarray(self.image_landmarks, dtype=np.float32)
            if self.image_landmarks.ndim != 3 or len(self.image_landmarks) != len(self):
                raise GymlError("image_landmarks must have shape (T, K, 2)")
        if self.times is not None:
            self.times = np.asarray(self.times, dtype=np.float64)
            if self.times.shape != (len(self),) or not np.isfinite(self.times).all() or \
                    (np.diff(self.times) < 0).any():
                raise GymlError(f"times must be {len(self)} finite, non-decreasing seconds")
        # A joint we do not know is a joint with no confidence, whatever the source said.
        unknown = ~np.isfinite(self.joints).all(axis=2)
        if unknown.any():
            self.joints = self.joints.copy()
            self.joints[unknown] = np.nan
            self.confidence = np.where(unknown, 0.0, self.confidence).astype(np.float32)

    def __len__(self) -> int:
        return int(self.joints.shape[0])

    @property
    def duration(self) -> float:
        if self.times is not None and len(self) > 1:
            return float(self.times[-1] - self.times[0]) * len(self) / (len(self) - 1)
        return len(self) / self.fps

    def frame_times(self) -> np.ndarray:
        """(T,) seconds of each frame from the first: the recorded timestamps, else frames 1/fps apart."""
        if self.times is not None:
            return self.times - (self.times[0] if len(self) else 0.0)
        return np.arange(len(self)) / self.fps

    def seconds(self, start: int, stop: int) -> float:
        """Seconds from frame `start` to frame `stop`."""
        if self.times is None:
            return (stop - start) / self.fps
        return float(self.times[stop] - self.times[start])

    def frame_seconds(self) -> np.ndarray:
        """(T,) how long each frame lasts: the time to the next one (the last lasts as long as the one
        before it); 1/fps each without timestamps."""
        if self.times is None or len(self) < 2:
            return np.full(len(self), 1.0 / self.fps)
        gaps = np.diff(self.times)
        return np.r_[gaps, gaps[-1]]

    @property
    def present(self) -> np.ndarray:
        """(T,) bool: frames where a person was seen."""
        return (self.confidence > 0).any(axis=1)

    def slice(self, start: int, stop: int) -> PoseSequence:
        """Frames start..stop-1. The arrays are views (as numpy's slices are): writing to them writes to
        this sequence."""
        return PoseSequence(
            joints=self.joints[start:stop],
            confidence=self.confidence[start:stop],
            fps=self.fps,
            smpl_pose=None if self.smpl_pose is None else self.smpl_pose[start:stop],
            image_landmarks=None if self.image_landmarks is None else self.image_landmarks[start:stop],
            source=self.source,
            metadata=dict(self.metadata),
            times=None if self.times is None else self.times[start:stop],
        )

    def save(self, path: str | os.PathLike) -> Path:
        """Write a `.npz` (no pickle inside) atomically: a failed write never leaves a partial file."""
        path = Path(path)
        arrays = {
            "joints": self.joints,
            "confidence": self.confidence,
            "fps": np.float64(self.fps),
            "source": np.str_(self.source),
            "metadata": np.str_(json.dumps(self.metadata, default=_json_default)),
            "joint_names": np.array(JOINT_NAMES),
            "format_version": np.int64(NPZ_FORMAT_VERSION),
        }
        if self.smpl_pose is not None:
            arrays["smpl_pose"] = self.smpl_pose
        if self.image_landmarks is not None:
            arrays["image_landmarks"] = self.image_landmarks
        if self.times is not None:
            arrays["times"] = self.times
        write_atomically(path, lambda fh: np.savez_compressed(fh, **arrays))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> PoseSequence:
        """Read a gyml .npz; memory is bounded by the file's size whatever its headers claim."""
        from gyml.pose.bounded_npy import READ_ERRORS, BoundedNpz

        path = Path(path)
        try:
            with BoundedNpz(path) as data:
                missing = {"joints", "confidence", "fps"} - set(data.files)
                if missing:
                    raise GymlError(f"{path.name}: not a gyml pose file (missing {', '.join(sorted(missing))})")
                fps = np.asarray(data["fps"], dtype=np.float64)
                if fps.size != 1:
                    raise GymlError(f"{path.name}: 'fps' must be one number, got {fps.size} values")
                check_fps(float(fps.ravel()[0]), f"{path.name}: stored frame rate")
                joints = data["joints"]
                if joints.ndim >= 1:
                    check_frame_count(len(joints), path.name)
                return cls(
                    joints=joints,
                    confidence=data["confidence"],
                    fps=float(fps.ravel()[0]),
                    smpl_pose=data["smpl_pose"] if "smpl_pose" in data.files else None,
                    image_landmarks=data["image_landmarks"] if "image_landmarks" in data.files else None,
                    source=str(data["source"]) if "source" in data.files else "npz",
                    metadata=_metadata(data["metadata"]) if "metadata" in data.files else {},
                    times=data["times"] if "times" in data.files else None,
                )
        except GymlError:
            raise
        except (*READ_ERRORS, json.JSONDecodeError) as exc:
            raise GymlError(f"{path.name}: cannot read gyml pose file ({type(exc).__name__}: "
                            f"{str(exc)[:160]})") from None


def _metadata(value: np.ndarray) -> dict:
    meta = json.loads(str(value))
    return meta if isinstance(meta, dict) else {"value": meta}


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def output_target(path: Path) -> tuple[Path, bool]:
    """(the file to write, whether to write it in place) for an output `path`: a link is followed, so the
    file it points to is replaced and the link kept; an existing device, pipe or socket (/dev/stdout,
    /dev/null, a FIFO) is written in place, never renamed over (run as root, a rename replaced /dev/null
    with a plain file)."""
    path = Path(path)
    try:
        st = os.stat(path)   # follows links
    except OSError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        return path, True
    # os.path.islink: a name too long to look up is no link (Path.is_symlink raised ENAMETOOLONG)
    return (Path(os.path.realpath(path)) if os.path.islink(path) else path), False


# An output is written to a temporary file beside it, then renamed into place: the temporary name is the
# output's with up to this many characters more (".NAME.xxxxxxxx.part"; an overlay's ".STEM.xxxxxxxx.mp4")
TEMP_NAME_EXTRA = 15


def output_place_problem(path: Path, *, folder: bool = False) -> str | None:
    """Why a file cannot be written at `path`, in one phrase naming the path, or None: a name longer than
    the file system takes (with room for the temporary file beside it), a folder that does not exist or is
    a file. Checked before any work (gyml.validate.check_outputs) and again when writing, so the user reads
    this rather than "unexpected OSError: [Errno 36] File name too long" after the analysis.
    `folder`: `path` is a folder to write into, made (with those above it) when missing."""
    path = Path(path)
    parent = path if folder else path.parent
    found, st = _nearest_existing(parent)
    if isinstance(st, OSError):
        return f"output folder {_shown(found)}: {st.strerror}"
    where = found if st is not None and stat.S_ISDIR(st.st_mode) else Path(".")
    name_max, path_max = _limit(where, "PC_NAME_MAX", 255), _limit(where, "PC_PATH_MAX", 4096)
    unit = "characters" if str(path).isascii() else "bytes"
    for part in parent.parts:
        if len(os.fsencode(part)) > name_max:
            return (f"output name too long: {_shown(path)} (the folder name {_shown(Path(part), 24)} is "
                    f"{len(os.fsencode(part))} {unit}; at most {name_max})")
    if not folder and len(os.fsencode(path.name)) + TEMP_NAME_EXTRA > name_max:
        return (f"output name too long: {_shown(path)} (the name is {len(os.fsencode(path.name))} {unit}; "
                f"at most {name_max - TEMP_NAME_EXTRA})")
    whole = len(os.fsencode(str(path)))   # as given to the system: a relative path is looked up from here
    if whole + TEMP_NAME_EXTRA >= path_max:
        return f"output path too long: {_shown(path)} ({whole} {unit}; at most {path_max - TEMP_NAME_EXTRA - 1})"
    if st is not None and not stat.S_ISDIR(st.st_mode):
        return f"output folder is a file: {_shown(found)}"
    if not folder and (st is None or found != parent):
        return f"output folder does not exist: {_shown(parent)}"
    return None


def _nearest_existing(folder: Path) -> tuple[Path, os.stat_result | OSError | None]:
    """The folder or its nearest ancestor that exists, with its stat (following links); the error when one
    cannot be looked at (no permission); (folder, None) when none exists."""
    for candidate in (folder, *folder.parents):
        try:
            return candidate, os.stat(candidate)
        except OSError as e:
            if e.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG):
                return candidate, e
    return folder, None


def _limit(folder: Path, name: str, default: int) -> int:
    try:
        return int(os.pathconf(folder, name))
    except (OSError, ValueError, TypeError):
        return default


def _shown(path: Path, width: int = 80) -> str:
    """A path for a message: a long one keeps its start and its end."""
    text = str(path)
    return text if len(text) <= width else f"{text[:width // 2]}...{text[-(width // 2 - 3):]}"


def write_atomically(path: Path, write, mode: str = "wb") -> None:
    """Write through a temporary file in the same folder and rename it into place (see output_target:
    through a link to its file; a device or pipe is written in place, from memory, as `write` may seek)."""
    path, in_place = output_target(path)
    if in_place:
        buffer = io.BytesIO() if "b" in mode else io.StringIO()
        write(buffer)
        try:
            with open(path, mode) as fh:
                fh.write(buffer.getvalue())
        except OSError as e:   # a full disk, a closed pipe: the user's to fix, in one line
            raise GymlError(f"could not write {path}: {e.strerror or e}") from None
        return
    problem = output_place_problem(path)
    if problem:
        raise GymlError(problem)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent or ".")
    try:
        # mkstemp makes the file 0600; the result should carry the permissions any other program would
        # give it: the replaced file's, else the usual 0666 less the umask.
        os.fchmod(fd, target_mode(path))
        with os.fdopen(fd, mode) as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES):
            raise GymlError(f"could not write {path}: {e.strerror}") from None
        raise


def _current_umask() -> int:
    mask = os.umask(0o022)  # the only portable way to read it is to set it; put it straight back
    os.umask(mask)
    return mask


def target_mode(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_current_umask()

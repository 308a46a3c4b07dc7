"""Is this a human body? Pose data whose bone lengths, speeds or value ranges no person could produce
(uniform noise, a transposed array, 1e38 values) is refused; where only some frames are broken, those
frames become missing and the report says how many and why.

Every test is relative to the sequence itself (bone lengths against their own medians, speeds in body
sizes per second), so metres, torso units and normalised image coordinates are judged alike.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field

import numpy as np

from gyml.errors import GymlError
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import JOINT

_PAIRS = [("left_hip", "left_knee"), ("right_hip", "right_knee"), ("left_knee", "left_ankle"),
          ("right_knee", "right_ankle"), ("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow"),
          ("left_elbow", "left_wrist"), ("right_elbow", "right_wrist"), ("left_shoulder", "right_shoulder"),
          ("left_hip", "right_hip"), ("pelvis", "neck")]
BONES = np.array([[JOINT[a], JOINT[b]] for a, b in _PAIRS])
# Left/right pairs among BONES (thigh, shin, upper arm, forearm).
SIDES = [(0, 1), (2, 3), (4, 5), (6, 7)]

MAX_ABS_VALUE = 1e4          # no coordinate system we read puts a joint 10 km away
BONE_RATIO = 3.0             # a bone 3x longer or shorter than its own median in this sequence is broken...
BROKEN_BONE_SHARE = 0.5      # ...and a frame with more than half its bones broken is broken
MAX_EXTENT = 20.0            # a frame spanning more than 20 median bone lengths is not one body
SPIKE_SPEED = 80.0           # median joint speed, median bone lengths per second (about 25 m/s)
MAX_BROKEN_SHARE = 0.5       # more broken frames than this and the whole input is refused
MAX_BONE_SPREAD = 0.75       # median over bones of (interquartile range / median) of the length
MAX_MEDIAN_SPEED = 20.0      # median over frames of the median joint speed, bone lengths per second
# median over bones of |log(bone / body scale) - log(the same for a textbook body)|: real data (RepCount,
# UCF101, MediaPipe video) stays below 0.35, bones shuffled into the wrong joints mostly above 0.6
MAX_PROPORTION_DEVIATION = 0.6
MIN_BONES_FOR_SHAPE = 6      # proportions and symmetry are judged only with this many bones seen
MAX_SIDE_RATIO = 3.0         # left vs right thigh, shin, upper arm, forearm
# second principal spread of a frame's joints over its first: a body has breadth (shoulders, hips, limbs
# off its long axis); of 80,000 frames of real RepCount, UCF101 and tracker takes none read under 0.05 but
# the 33 a reader collapsed onto one line (every angle 0 or 180 degrees), which read 1e-10
MIN_BREADTH = 0.01


@dataclass
class Plausibility:
    frames_dropped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    frames: int = 0

    def to_dict(self) -> dict:
        return {"frames_dropped": int(self.frames_dropped), "reasons": dict(self.reasons)}

    @property
    def warning(self) -> str | None:
        if not self.frames_dropped:
            return None
        why = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(self.reasons.items()))
        return (f"{self.frames_dropped} of {self.frames} frames held poses no body could take ({why}); "
                "they were treated as missing.")


def _bone_lengths(joints: np.ndarray) -> np.ndarray:
    """(T, B) lengths of the checked bones; NaN where a joint is unknown."""
    with np.errstate(invalid="ignore", over="ignore"):
        diff = joints[:, BONES[:, 0]] - joints[:, BONES[:, 1]]
        return np.sqrt(np.sum(diff.astype(np.float64) ** 2, axis=2))


def assess(seq: PoseSequence, name: str = "input") -> tuple[np.ndarray, Plausibility]:
    """(broken frames mask, report). Raises GymlError when the data as a whole is not a human body."""
    with warnings.catch_warnings():
        # bones whose joints are never seen give all-NaN slices; they are excluded by the checks below
        warnings.simplefilter("ignore", RuntimeWarning)
        return _assess(seq, name)


def _assess(seq: PoseSequence, name: str) -> tuple[np.ndarray, Plausibility]:
    present = seq.present
    report = Plausibility(frames=len(seq))
    broken = np.zeros(len(seq), bool)
    if not present.any():
        return broken, report
    joints = np.where((seq.confidence > 0)[..., None], seq.joints, np.nan).astype(np.float64)
    reasons: dict[str, np.ndarray] = {}

    with np.errstate(invalid="ignore"):
        reasons["value_range"] = present & (np.nan_to_num(np.abs(joints), nan=0.0) > MAX_ABS_VALUE).any(axis=(1, 2))
    joints[reasons["value_range"]] = np.nan
    ok = present & ~reasons["value_range"]

    lengths = _bone_lengths(joints)
    known = np.isfinite(lengths) & ok[:, None]
    if known.sum() < 3:
        return _finish(seq, name, broken | reasons["value_range"], reasons, report)
    median = np.array([np.median(lengths[known[:, b], b]) if known[:, b].any() else np.nan
                       for b in range(len(BONES))])
    scale = float(np.nanmedian(median)) if np.isfinite(median).any() else 0.0
    if not np.isfinite(scale) or scale <= 0:
        raise GymlError(f"{name}: every joint sits at one point: not a body's pose")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = lengths / median
        off = known & ((ratio > BONE_RATIO) | (ratio < 1 / BONE_RATIO))
        share = off.sum(axis=1) / np.maximum(known.sum(axis=1), 1)
    reasons["bone_lengths"] = ok & (share > BROKEN_BONE_SHARE)

    extent = np.zeros(len(seq))
    if ok.any():
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # frames with a few unknown joints
            centre = np.nanmedian(joints[ok], axis=1, keepdims=True)
            dist = np.linalg.norm(joints[ok] - centre, axis=2)
        extent[ok] = np.where(np.isfinite(dist), dist, 0.0).max(axis=1)
    reasons["extent"] = ok & (extent > MAX_EXTENT * scale)

    reasons["on_one_line"] = ok & _on_one_line(joints)

    frame_ok = ok & ~reasons["bone_lengths"] & ~reasons["extent"] & ~reasons["on_one_line"]
    times = seq.frame_times()
    reasons["jump"] = _spikes(joints, frame_ok, times, scale)
    for mask in reasons.values():
        broken |= mask

    kept = present & ~broken
    if kept.sum() >= 10:
        _whole_sequence_checks(joints, lengths, kept, times, scale, name)
    return _finish(seq, name, broken, reasons, report)


def _finish(seq, name, broken, reasons, report) -> tuple[np.ndarray, Plausibility]:
    present = seq.present
    report.frames_dropped = int(broken.sum())
    report.reasons = {k: int(v.sum()) for k, v in reasons.items() if v.any()}
    if present.sum() and broken.sum() > MAX_BROKEN_SHARE * present.sum():
        why = ", ".join(f"{k.replace('_', ' ')} in {n}" for k, n in report.reasons.items())
        raise GymlError(f"{name}: {report.frames_dropped} of {int(present.sum())} frames are not a body's pose "
                        f"({why}): refusing the input")
    return broken, report


def _on_one_line(joints: np.ndarray) -> np.ndarray:
    """Frames whose known joints (six or more) lie on one line: no body's pose."""
    known = np.isfinite(joints).all(axis=2)
    enough = known.sum(axis=1) >= 6
    out = np.zeros(len(joints), bool)
    if not enough.any():
        return out
    j = joints[enough]
    k = known[enough][..., None]
    centre = np.where(k, j, 0.0).sum(axis=1, keepdims=True) / k.sum(axis=1, keepdims=True)
    centred = np.where(k, j - centre, 0.0)     # an unknown joint adds no spread
    spread = np.linalg.svd(centred, compute_uv=False)
    out[enough] = spread[:, 1] < MIN_BREADTH * np.maximum(spread[:, 0], 1e-12)
    return out


def _spikes(joints: np.ndarray, ok: np.ndarray, times: np.ndarray, scale: float) -> np.ndarray:
    """Frames whose joints leap away and straight back: far from both neighbours, which are near each
    other."""
    idx = np.flatnonzero(ok)
    spikes = np.zeros(len(joints), bool)
    if len(idx) < 3:
        return spikes
    j = joints[idx]
    dt = _intervals(times, idx)

    def speed(a, b, seconds):
        with np.errstate(invalid="ignore"):
            return np.nanmedian(np.linalg.norm(a - b, axis=2), axis=1) / seconds / scale

    before = speed(j[1:-1], j[:-2], dt[:-1])
    after = speed(j[2:], j[1:-1], dt[1:])
    across = speed(j[2:], j[:-2], dt[:-1] + dt[1:])
    spike = (before > SPIKE_SPEED) & (after > SPIKE_SPEED) & (across < SPIKE_SPEED / 2)
    spikes[idx[1:-1][spike]] = True
    return spikes


def _intervals(times: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Seconds between the frames `idx`; at least a millisecond (a video may repeat a timestamp)."""
    return np.maximum(np.diff(times[idx]), 1e-3)


def _whole_sequence_checks(joints, lengths, kept, times, scale, name) -> None:
    kl = lengths[kept]
    with np.errstate(invalid="ignore"):
        q1, q2, q3 = np.nanpercentile(kl, [25, 50, 75], axis=0)
        spread = np.nanmedian((q3 - q1) / q2)
    if np.isfinite(spread) and spread > MAX_BONE_SPREAD:
        raise GymlError(f"{name}: bone lengths change from frame to frame by {spread:.0%} (a body's by a few "
                        "percent): not a body's pose (noise, or an array in the wrong layout?)")
    if np.isfinite(q2).sum() < MIN_BONES_FOR_SHAPE:
        return  # too few bones seen to judge the body's shape
    deviation = np.abs(np.log(q2 / np.nanmedian(q2)) - _REFERENCE_LOG_PROPORTIONS)
    if np.nanmedian(deviation) > MAX_PROPORTION_DEVIATION:
        raise GymlError(f"{name}: the bone lengths are not in a body's proportions (typically {np.exp(np.nanmedian(deviation)):.1f}x "
                        "off): not a body's pose (an array in the wrong layout?)")
    side = [q2[a] / q2[b] for a, b in SIDES if np.isfinite(q2[a] / q2[b]) and q2[b] > 0]
    if side and max(max(side), 1 / min(side)) > MAX_SIDE_RATIO:
        raise GymlError(f"{name}: one side's limbs are {max(max(side), 1 / min(side)):.1f}x the other's: not a "
                        "body's pose (an array in the wrong layout?)")
    idx = np.flatnonzero(kept)
    j = joints[idx]
    with np.errstate(invalid="ignore"):
        step = np.nanmedian(np.linalg.norm(np.diff(j, axis=0), axis=2), axis=1) / _intervals(times, idx)
    median_speed = float(np.nanmedian(step)) / scale if np.isfinite(step).any() else 0.0
    if median_speed > MAX_MEDIAN_SPEED:
        raise GymlError(f"{name}: the joints move {median_speed:.0f} body lengths a second on average: not a "
                        "body's motion (noise, or the frame rate is wrong?)")


def _reference_log_proportions() -> np.ndarray:
    from gyml.pose.skeleton import forward_kinematics, rest_offsets
    ref = _bone_lengths(forward_kinematics(np.zeros((1, 24, 3)), None, rest_offsets()))[0]
    return np.log(ref / np.median(ref))


_REFERENCE_LOG_PROPORTIONS = _reference_log_proportions()


def apply_plausibility(seq: PoseSequence, name: str = "input") -> PoseSequence:
    """`seq` with broken frames made missing and the report in metadata['plausibility'] (the input is not
    modified). Raises GymlError when the data as a whole is not a human body."""
    broken, report = assess(seq, name)
    if broken.any():
        joints = seq.joints.copy()
        confidence = seq.confidence.copy()
        joints[broken] = np.nan
        confidence[broken] = 0.0
        seq = dataclasses.replace(seq, joints=joints, confidence=confidence, metadata=dict(seq.metadata))
    else:
        seq.metadata = dict(seq.metadata)
    seq.metadata["plausibility"] = report.to_dict()
    return seq

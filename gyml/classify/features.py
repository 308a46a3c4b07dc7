"""Sequence-level features for classification.

- ``paper``: GyML's features: each sequence's (T, 72) SMPL pose flattened and zero-padded to the
  longest sequence (depends on length and start phase; kept to reproduce the paper).
- ``angles``: joint-angle statistics over the active part of the set that do not depend on sequence length,
  start phase, camera position or body size, and exist for every source (SMPL, MediaPipe video, NTU
  keypoints) alike.
- ``rep_curve``: the mean rep: every counted rep's joint angles resampled to 32 phase steps (start to
  end) and averaged, so the shape of the movement is kept while length, rep count and start phase drop
  out.
"""

from __future__ import annotations

import numpy as np

from gyml.errors import GymlError
from gyml.pose.kinematics import Kinematics
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import ANGLE_NAMES

FEATURE_SETS = ("paper", "angles", "rep_curve", "motion")
REP_STEPS = 32
_PAIRS = [("left_knee_flexion", "right_knee_flexion"), ("left_elbow_flexion", "right_elbow_flexion"),
          ("left_shoulder_elevation", "right_shoulder_elevation"), ("left_hip_flexion", "right_hip_flexion")]
_STATS = ("mean", "std", "p10", "p90", "speed")


def angle_feature_names() -> list[str]:
    names = [f"{a}:{s}" for a in ANGLE_NAMES for s in _STATS]
    names += [f"corr:{a}~{b}" for a, b in _PAIRS]
    return names


def active_window(seq: PoseSequence, kinematics: Kinematics | None = None, reps=None) -> PoseSequence:
    """The part of a recording where the set happens: first rep start to last rep end. Idle frames
    (walking up, adjusting, leaving) otherwise dominate the statistics of short sets. `reps`: the
    default counter's count of `seq`, when it was already made."""
    from gyml.reps.counter import count_reps
    counted = reps if reps is not None else count_reps(seq, kinematics=kinematics)
    if counted.count < 2:
        return seq
    return seq.slice(counted.segments[0].start, counted.segments[-1].end + 1)


def angle_features(seq: PoseSequence, kinematics: Kinematics | None = None, reps=None) -> np.ndarray:
    """Statistics of the joint angles over the set's active window (`reps`: the default counter's count
    of `seq`, when it was already made)."""
    kinematics = Kinematics.of(seq, kinematics)
    window = active_window(seq, kinematics, reps)
    # a window's angles are its own: body size is measured over the frames at hand
    angles = kinematics.angles if window is seq else Kinematics(window).angles
    speed = np.abs(np.diff(angles, axis=0)).mean(axis=0) * seq.fps if len(angles) > 1 else np.zeros(angles.shape[1])
    stats = np.stack([angles.mean(0), angles.std(0), np.percentile(angles, 10, axis=0),
                      np.percentile(angles, 90, axis=0), speed], axis=1).reshape(-1)
    corr = []
    for a, b in _PAIRS:
        x, y = angles[:, ANGLE_NAMES.index(a)], angles[:, ANGLE_NAMES.index(b)]
        corr.append(float(np.corrcoef(x, y)[0, 1]) if x.std() > 1e-6 and y.std() > 1e-6 else 0.0)
    return np.nan_to_num(np.concatenate([stats, corr])).astype(np.float32)


def rep_curve_features(seq: PoseSequence, steps: int = REP_STEPS, kinematics: Kinematics | None = None,
                       reps=None) -> np.ndarray:
    """(steps * angles,) the average of the set's reps, each resampled to `steps` phase points."""
    from gyml.reps.counter import count_reps
    kinematics = Kinematics.of(seq, kinematics)
    angles = kinematics.angles
    counted = reps if reps is not None else count_reps(seq, kinematics=kinematics)
    segments = [(s.start, s.end) for s in counted.segments if s.end > s.start]
    if not segments:
        segments = [(0, len(seq) - 1)]
    phase = np.linspace(0.0, 1.0, steps)
    curves = []
    for start, end in segments:
        t = np.linspace(0.0, 1.0, end - start + 1)
        piece = angles[start:end + 1]
        curves.append(np.stack([np.interp(phase, t, piece[:, k]) for k in range(piece.shape[1])], axis=1))
    return np.nan_to_num(np.mean(curves, axis=0).reshape(-1)).astype(np.float32)


def paper_vector(seq: PoseSequence) -> np.ndarray:
    if seq.smpl_pose is None:
        raise GymlError("the paper's features need SMPL parameters (FLAG3D or PHALP input)")
    return seq.smpl_pose.reshape(len(seq), 72).astype(np.float32)


def pad_sequences(vectors: list[np.ndarray], length: int | None = None) -> np.ndarray:
    """The paper's padding: flatten each (T, 72) and zero-pad to the longest (or a given) length."""
    length = length or max(len(v) for v in vectors)
    out = np.zeros((len(vectors), length * 72), np.float32)
    for i, v in enumerate(vectors):
        flat = v[:length].reshape(-1)
        out[i, : flat.size] = flat
    return out


def build_features(seqs: list[PoseSequence], kind: str, length: int | None = None) -> np.ndarray:
    if kind == "angles":
        return np.stack([angle_features(s) for s in seqs])
    if kind == "paper":
        return pad_sequences([paper_vector(s) for s in seqs], length)
    if kind == "rep_curve":
        return np.stack([rep_curve_features(s) for s in seqs])
    if kind == "motion":
        return np.stack([motion_features(s) for s in seqs])
    raise GymlError(f"unknown feature set '{kind}' (choose from {', '.join(FEATURE_SETS)})")


# ---------------------------------------------------------------------------------------------------
# "motion": features meant to hold on real footage. Joint angles do not depend on the camera; the two
# sides of each pair are ordered by how much they move (not left/right), so a mirrored view or a
# person facing the other way gives the same vector; statistics are taken over the frames where the
# body moves (no rep counting needed, so clips that start mid-rep or hold still at either end are
# treated alike); every angle is filled on its own, so a limb out of frame costs only its own columns.

_SIDED = ("knee_flexion", "hip_flexion", "elbow_flexion", "shoulder_elevation", "shoulder_abduction",
          "hip_abduction", "knee_out")
_CENTRAL = ("trunk_inclination", "body_line", "knee_width_ratio", "hand_height", "hip_height")
_DEGREES = 2 * len(_SIDED) + 2          # the sided angles, trunk inclination and body line are in degrees
_CROSS = (("knee_flexion", "elbow_flexion"), ("hip_flexion", "shoulder_elevation"),
          ("knee_flexion", "hip_flexion"), ("elbow_flexion", "shoulder_elevation"),
          ("knee_flexion", "shoulder_elevation"))
MISSING = -10.0   # where a column was never seen: far outside every real value, so trees can split on it
# The body's set-up in its own frame, in torso lengths: feet apart front-to-back (a lunge's split stance)
# and sideways (a squat's or a jack's), hands apart sideways (a jack, a wide grip).
_STANCE = ("feet_apart_forward", "feet_apart_sideways", "hands_apart_sideways")
# Low-pass filter (gaussian, seconds) on the joint angles before the statistics. Off: 0.1 s raised RepCount
# dev by 1.5 recordings and cost UCF101 3 clips (docs/lab-notes/recog.md); kept for that comparison.
ANGLE_SMOOTH_S = 0.0


def motion_feature_names() -> list[str]:
    columns = [f"{s}_{n}" for n in _SIDED for s in ("more", "less")] + list(_CENTRAL)
    names = [f"{c}:{s}" for c in columns for s in ("median", "std", "p10", "p90", "speed")]
    names += [f"share:{c}" for c in columns[:_DEGREES]]
    names += [f"sync:{n}" for n in _SIDED[:4]]
    names += [f"corr:{a}~{b}" for a, b in _CROSS]
    names += ["tempo", "active_share", "seen:legs", "seen:arms"]
    names += [f"asym:{n}:{s}" for n in _SIDED for s in ("median", "p90")]
    names += [f"{n}:{s}" for n in _STANCE for s in ("median", "range")]
    return names


def _fill_columns(values: np.ndarray) -> np.ndarray:
    """Interpolate each column over its own finite entries; a column never finite stays NaN."""
    out = np.array(values, dtype=np.float64)
    t = np.arange(len(out))
    for k in range(out.shape[1]):
        good = np.isfinite(out[:, k])
        if good.any() and not good.all():
            out[~good, k] = np.interp(t[~good], t[good], out[good, k])
    return out


def _active_frames(angles: np.ndarray, fps: float) -> np.ndarray:
    """Frames where the body moves: smoothed angular speed above a quarter of its 90th percentile."""
    from scipy.ndimage import gaussian_filter1d

    speed = np.nan_to_num(np.abs(np.diff(angles[:, :_DEGREES], axis=0))).sum(axis=1)
    speed = gaussian_filter1d(np.concatenate([speed[:1], speed]), sigma=max(fps * 0.4, 1.0))
    active = speed > 0.25 * np.percentile(speed, 90)
    return active if active.sum() >= max(10, 0.2 * len(angles)) else np.ones(len(angles), bool)


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or x[ok].std() < 1e-6 or y[ok].std() < 1e-6:
        return 0.0
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def _tempo(angles: np.ndarray, fps: float) -> float:
    """Seconds per cycle of the main motion (first autocorrelation peak of the busiest angles), 0 if none."""
    a = angles[:, :_DEGREES]
    a = a[:, np.isfinite(a).all(axis=0)]
    if a.shape[1] == 0 or len(a) < 8:
        return 0.0
    a = a - a.mean(axis=0)
    signal = a[:, np.argsort(-a.std(axis=0))[:4]].sum(axis=1)
    signal = signal - signal.mean()
    n = len(signal)
    spectrum = np.fft.rfft(signal, 2 * n)
    ac = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    if ac[0] <= 0:
        return 0.0
    ac = ac / ac[0]
    lo = max(int(0.25 * fps), 1)
    for lag in range(lo, n - 1):
        if ac[lag] > 0.2 and ac[lag] >= ac[lag - 1] and ac[lag] >= ac[lag + 1]:
            return lag / fps
    return 0.0


def motion_features(seq: PoseSequence, kinematics: Kinematics | None = None) -> np.ndarray:
    """Mirror- and view-invariant statistics of the joint angles over the frames where the body moves.
    `kinematics`: the sequence's own, when the pipeline already made them (their angles are reused, and
    the features are kept in them for the next stage that asks)."""
    kinematics = Kinematics.of(seq, kinematics)
    if "motion_features" not in kinematics.derived:
        kinematics.derived["motion_features"] = _motion_features(seq, kinematics)
    return kinematics.derived["motion_features"].copy()


def _motion_features(seq: PoseSequence, kinematics: Kinematics) -> np.ndarray:
    from gyml.pose.skeleton import JOINT

    seen = seq.present[:, None] & np.isfinite(seq.joints).all(axis=2)
    seen_legs = float(seen[:, [JOINT["left_ankle"], JOINT["right_ankle"]]].all(axis=1).mean())
    seen_arms = float(seen[:, [JOINT["left_wrist"], JOINT["right_wrist"]]].all(axis=1).mean())
    angles = _fill_columns(kinematics.raw_angles)
    if ANGLE_SMOOTH_S > 0 and len(angles) > 1:
        from scipy.ndimage import gaussian_filter1d
        angles = gaussian_filter1d(angles, sigma=ANGLE_SMOOTH_S * float(seq.fps or 30.0), axis=0, mode="nearest")
    columns = []
    for name in _SIDED:
        left, right = ANGLE_NAMES.index(f"left_{name}"), ANGLE_NAMES.index(f"right_{name}")
        if np.nanstd(angles[:, left]) >= np.nanstd(angles[:, right]) or not np.isfinite(angles[:, right]).any():
            columns += [left, right]
        else:
            columns += [right, left]
    columns += [ANGLE_NAMES.index(n) for n in _CENTRAL]
    with np.errstate(all="ignore"):
        ordered = angles[:, columns]
        fps = float(seq.fps or 30.0)
        active = _active_frames(ordered, fps)
        a = ordered[active]
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            # every column is finite throughout or NaN throughout (filled above), so the plain statistics
            # give the NaN-aware ones' values at a fraction of their cost
            speed = np.mean(np.abs(np.diff(ordered, axis=0)), axis=0) * fps if len(ordered) > 1 else \
                np.zeros(len(columns))
            p10, p50, p90 = np.percentile(a, [10, 50, 90], axis=0)
            deviation = np.std(a, axis=0)
            stats = np.stack([p50, deviation, p10, p90, speed], axis=1).reshape(-1)
            spread = deviation[:_DEGREES]
        share = spread / max(float(np.nansum(spread)), 1e-6)
        sync = [_corr(a[:, 2 * i], a[:, 2 * i + 1]) for i in range(4)]
        cross = [_corr(a[:, 2 * _SIDED.index(x)], a[:, 2 * _SIDED.index(y)]) for x, y in _CROSS]
        extra = [_tempo(a, fps), float(active.mean()), seen_legs, seen_arms]
        # Left against right frame by frame: a lunge or an alternating curl moves the sides apart, a
        # squat or a press together; the more/less ordering above cannot tell these apart.
        asymmetry = []
        for i in range(len(_SIDED)):
            gap = np.abs(a[:, 2 * i] - a[:, 2 * i + 1])
            asymmetry += [np.median(gap), np.percentile(gap, 90)]
        setup = _stance(seq.joints[seq.present][active[seq.present]] if seq.present.any() else seq.joints[:0])
    out = np.concatenate([stats, share, sync, cross, extra, asymmetry, setup])
    return np.where(np.isfinite(out), out, MISSING).astype(np.float32)


def _stance(joints: np.ndarray) -> list[float]:
    """Median and 10-90% range of `_STANCE` over `joints` (frames with a pose), NaN where unseen."""
    from gyml.pose.skeleton import JOINT, body_frame, torso_length

    if len(joints) < 4:
        return [np.nan] * (2 * len(_STANCE))
    j = joints.astype(np.float64)
    _, left, forward = body_frame(j)
    scale = torso_length(j)
    feet = j[:, JOINT["left_ankle"]] - j[:, JOINT["right_ankle"]]
    hands = j[:, JOINT["left_wrist"]] - j[:, JOINT["right_wrist"]]
    out = []
    for gap, axis in ((feet, forward), (feet, left), (hands, left)):
        apart = np.abs(np.einsum("ti,ti->t", gap, axis)) / scale
        apart = apart[np.isfinite(apart)]
        if len(apart) < 4:
            out += [np.nan, np.nan]
        else:
            p10, p50, p90 = np.percentile(apart, [10, 50, 90])
            out += [p50, p90 - p10]
    return out

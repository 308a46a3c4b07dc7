"""Holds (plank, side plank, wall sit): time under tension, time in good form, and posture coached over time.

A hold has no reps. We find the interval in which the body is in the hold's position and still, read a few
posture signals per frame (degrees, or shares of the body's own torso length), compare them with a reference
(the person's own good take given as gold, else the catalog's textbook hold) and name the stretches of time
where a signal strays beyond a fixed tolerance: "hips sagged from 12.4 s to 20.1 s".

Signals are measured in the body's own frame (the line from ankles to shoulders, the left-right axis, and the
side the supporting arms are on), so a tilted camera or a sloping floor does not change them. Finding the
hold itself uses the world's vertical (y up), as the readers deliver it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

import numpy as np
from scipy.ndimage import median_filter

from gyml.errors import GymlError
from gyml.pose.layouts import joints_available, skipped_checks, skipped_note
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import ANGLE_NAMES, JOINT, joint_angles, torso_length
from gyml.report.analysis import Feedback

SMOOTH_S = 0.5          # median filter on every posture signal: tracker jitter is shorter than this
MIN_FAULT_S = 1.0       # a posture has to last this long to be named
BRIDGE_S = 1.0          # two stretches of the same fault this close are one
MIN_HOLD_S = 2.0        # shorter than this is not a hold
STILL_SPEED = 0.15      # torso lengths per second (body-centred joints, median): above it the body is moving
SEVERE = 1.5            # a stretch whose median deviation exceeds this many tolerances is a "fault", else "warn"

LONG_AXIS_FROM_VERTICAL = 45.0   # plank / side plank: the ankle-shoulder line lies flatter than this
WALL_SIT_KNEE = 45.0             # wall sit: knees bent more than this, trunk within 45 degrees of upright
PRONE_FACING = 0.5               # plank: the chest's direction at least this far towards the floor (cosine)


@dataclass(frozen=True)
class HoldCheck:
    fault: str
    signal: str
    direction: int          # +1: the fault is the signal above the reference; -1: below
    tolerance: float        # in the signal's unit
    needs: tuple[str, ...]  # canonical joints the signal reads
    words: str              # "hips sagged"
    joint: str = "hip"      # what the feedback entry names as the joint
    unit: str = "°"
    gold_only: bool = False  # varies more between people than the fault changes it: judged only against gold

    def amount(self, deviation: float) -> str:
        """A deviation in the check's unit, as the cues say it ("29°", "0.12 torso lengths")."""
        return f"{abs(deviation):.0f}°" if self.unit == "°" else f"{abs(deviation):.2f}{self.unit}"


_SHOULDERS = ("left_shoulder", "right_shoulder")
_HIPS = ("left_hip", "right_hip")
_ANKLES = ("left_ankle", "right_ankle")
_ELBOWS = ("left_elbow", "right_elbow")
_KNEES = ("left_knee", "right_knee")

# Tolerances, chosen from what a coach sees, not from the takes we measure on:
# - 20 degrees at the hips moves an adult's hips about 11 cm off the shoulder-ankle line (trunk ~0.5 m,
#   legs ~0.85 m: offset ~ angle x 0.31 m), about the 10 cm of hip height a coach sees;
# - 15 degrees of neck flexion or extension, and 15 degrees of the upper arm off its line under the shoulder;
# - shoulders rolled forward (protracted) bring the shoulder joints together by 10% of the torso length
#   (about 5 cm); shoulder width differs more than that between people, so only the person's own good take
#   can judge it;
# - wall sit: 15 degrees of the thigh off the reference's level (the hips ~12 cm off knee height for a 45 cm
#   thigh), of the trunk off the wall's vertical and of the shin off the vertical either way (knees ~12 cm
#   past the ankles, or the feet as far out ahead of the knees).
HIP_TOLERANCE = 20.0
PLANK_CHECKS = (
    HoldCheck("hips_sag", "hip_line", +1, HIP_TOLERANCE, (*_SHOULDERS, *_HIPS, *_ANKLES), "hips sagged"),
    HoldCheck("hips_pike", "hip_line", -1, HIP_TOLERANCE, (*_SHOULDERS, *_HIPS, *_ANKLES), "hips piked up"),
    HoldCheck("head_dropped", "neck", +1, 15.0, (*_SHOULDERS, *_HIPS, "head"), "head dropped", joint="head"),
    HoldCheck("head_raised", "neck", -1, 15.0, (*_SHOULDERS, *_HIPS, "head"), "head raised", joint="head"),
    HoldCheck("shoulders_ahead", "upper_arm", +1, 15.0, (*_SHOULDERS, *_ELBOWS, *_ANKLES),
              "shoulders moved ahead of the elbows", joint="shoulder"),
    HoldCheck("shoulders_rounded", "shoulder_width", -1, 0.10, (*_SHOULDERS, "neck", "pelvis"),
              "shoulders rolled forward", joint="shoulder", unit=" torso lengths", gold_only=True),
)
SIDE_PLANK_CHECKS = (
    HoldCheck("hips_drop", "hip_side", +1, HIP_TOLERANCE, (*_SHOULDERS, *_HIPS, *_ANKLES, *_ELBOWS), "hips dropped"),
    HoldCheck("hips_pike", "hip_line", -1, HIP_TOLERANCE, (*_SHOULDERS, *_HIPS, *_ANKLES), "hips pushed back"),
    HoldCheck("head_dropped", "neck_side", +1, 15.0, (*_SHOULDERS, *_HIPS, "head", *_ELBOWS), "head dropped", joint="head"),
    HoldCheck("shoulders_ahead", "upper_arm", +1, 15.0, (*_SHOULDERS, *_ELBOWS, *_ANKLES),
              "shoulder moved ahead of the elbow", joint="shoulder"),
)
WALL_SIT_CHECKS = (
    HoldCheck("hips_high", "thigh", +1, 15.0, (*_HIPS, *_KNEES), "hips rose above knee height", joint="knee"),
    HoldCheck("hips_low", "thigh", -1, 15.0, (*_HIPS, *_KNEES), "hips sank below the knees", joint="knee"),
    HoldCheck("back_off_wall", "trunk", +1, 15.0, ("neck", "pelvis"), "back came off the wall", joint="trunk"),
    HoldCheck("knees_ahead", "shin", +1, 15.0, (*_HIPS, *_KNEES, *_ANKLES), "knees moved ahead of the ankles",
              joint="knee"),
    HoldCheck("feet_ahead", "shin", -1, 15.0, (*_HIPS, *_KNEES, *_ANKLES), "feet set out ahead of the knees",
              joint="knee"),
)
HOLDS = {"plank": ("prone", PLANK_CHECKS), "side_plank": ("side", SIDE_PLANK_CHECKS),
         "wall_sit": ("sit", WALL_SIT_CHECKS)}
# A hold of the person's own (`gyml exercises add` with still recordings): any posture, judged against their
# own recordings part by part, each joint's bend either way (the catalog's tolerances: 20 degrees at the
# hips, 15 elsewhere).
_OWN_PARTS = (  # signal, joint named, (fault, words) above the reference, the same below, tolerance, joints read
    ("knees", "knee", ("knees_bent", "knees bent further"), ("knees_straightened", "knees straightened"), 15.0,
     (*_HIPS, *_KNEES, *_ANKLES)),
    ("hips", "hip", ("hips_bent", "hips bent further"), ("hips_straightened", "hips straightened"), HIP_TOLERANCE,
     (*_SHOULDERS, *_HIPS, *_KNEES)),
    ("elbows", "elbow", ("elbows_bent", "elbows bent further"), ("elbows_straightened", "elbows straightened"),
     15.0, (*_SHOULDERS, *_ELBOWS, "left_wrist", "right_wrist")),
    ("arms", "shoulder", ("arms_raised", "arms rose"), ("arms_lowered", "arms sank"), 15.0,
     (*_SHOULDERS, *_ELBOWS, *_HIPS)),
    ("trunk", "trunk", ("trunk_tilted", "trunk tilted further from upright"),
     ("trunk_raised", "trunk came closer to upright"), 15.0, ("neck", "pelvis")))
OWN_CHECKS = tuple(HoldCheck(fault, signal, direction, tolerance, needs, words, joint=joint, gold_only=True)
                   for signal, joint, above, below, tolerance, needs in _OWN_PARTS
                   for direction, (fault, words) in ((+1, above), (-1, below)))
# how a recording is told to be a hold, whatever the posture: still for most of the time the person is seen
HOLD_SHARE = 0.5
# A hold beside reps (push-ups, then a plank): looked for in stretches of at least HOLD_BESIDE_REPS_S without
# a rep (longer than a pause between reps, even one in a plank's position), and taken for a hold when the
# exercise model names one at HOLD_SURE or more and the body is found in its position, still.
HOLD_BESIDE_REPS_S = 5.0
HOLD_SURE = 0.8
# The reps beside a hold are counted on the set's own frames with this much of the hold kept at its edge: the
# counter reads a rep's first frames against the rest before them, and a long hold near a rep's turning point
# (a plank's sagging hips, near a push-up's bottom) can turn its idea of where a rep rests
COUNT_HOLD_EDGE_S = 1.0
HELD_STILL_SPEED = 0.2


def is_hold(label: str | None) -> bool:
    """A catalog hold, or a hold of the person's own."""
    from gyml.synth.catalog import CATALOG
    if label in HOLDS or (label in CATALOG and CATALOG[label].hold):
        return True
    return bool(label) and _own_hold(label)


def _own_hold(label: str) -> bool:
    from gyml.classify.personal import get_personal
    try:
        ex = get_personal(label)
    except GymlError:
        return False
    return ex is not None and ex.hold


def checks_for(label: str) -> tuple[str, tuple[HoldCheck, ...]]:
    if label in HOLDS:
        return HOLDS[label]
    return ("own", OWN_CHECKS) if _own_hold(label) else HOLDS["plank"]


def held_still(seq: PoseSequence) -> bool:
    """The recording is a hold in any posture: most of the body still (three joints in four under
    HELD_STILL_SPEED: the median joint alone would call an arm-only movement still) for MIN_HOLD_S or more,
    and for at least HOLD_SHARE of the frames with a person."""
    seen = int(seq.present.sum())
    if seen == 0:
        return False
    speed = body_speed(seq.joints, seq.fps, quantile=75.0)
    span = find_hold(seq.joints, seq.present, seq.fps, "own", speed, HELD_STILL_SPEED)
    return span is not None and span[1] - span[0] >= HOLD_SHARE * seen


# ---------------------------------------------------------------------------------------------------
# Posture signals: pure functions of (T, 24, 3) joints.

def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _mid(j: np.ndarray, a: str, b: str) -> np.ndarray:
    return 0.5 * (j[:, JOINT[a]] + j[:, JOINT[b]])


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ti,ti->t", a, b)


def _heading(v: np.ndarray, across: np.ndarray, along: np.ndarray) -> np.ndarray:
    """Angle (degrees) of v in the plane (along, across), positive towards `across`."""
    return np.degrees(np.arctan2(_dot(v, across), _dot(v, along)))


def _medians(signals: dict[str, np.ndarray], a: int = 0, b: int | None = None) -> dict[str, float]:
    """Median of each signal over frames a..b, leaving out signals with no value there (absent joints)."""
    out = {}
    for name, v in signals.items():
        part = v[a:b]
        part = part[np.isfinite(part)]
        if part.size:
            out[name] = float(np.median(part))
    return out


def _side_sign(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return 1.0 if not finite.size or np.median(finite) >= 0 else -1.0


def posture_signals(joints: np.ndarray, kind: str) -> dict[str, np.ndarray]:
    """Per-frame posture signals of a hold of `kind` ('prone', 'side', 'sit' or 'own'); NaN where joints are
    missing.

    prone: hip_line (+ hips towards the floor, - piked), neck (+ head towards the floor), upper_arm (+ elbows
    behind the shoulders, i.e. shoulders ahead of the support), shoulder_width (torso lengths).
    side: hip_side (+ hips towards the floor), hip_line (- hips pushed back), neck_side, upper_arm (support arm).
    sit: knee (flexion), thigh (from level; + hips above the knees), trunk (from the vertical), shin (from
    the vertical; + knees ahead of the ankles).
    own (a person's own hold): knees, hips, elbows (flexion), arms (elevation), two sides averaged; trunk.
    """
    j = np.asarray(joints, dtype=np.float64)
    shoulders, hips, ankles = _mid(j, *_SHOULDERS), _mid(j, *_HIPS), _mid(j, *_ANKLES)
    head = j[:, JOINT["head"]]
    out: dict[str, np.ndarray] = {}
    if kind == "own":
        angles = joint_angles(j)
        column = {n: angles[:, i].astype(np.float64) for i, n in enumerate(ANGLE_NAMES)}
        for part, left, right in (("knees", "left_knee_flexion", "right_knee_flexion"),
                                  ("hips", "left_hip_flexion", "right_hip_flexion"),
                                  ("elbows", "left_elbow_flexion", "right_elbow_flexion"),
                                  ("arms", "left_shoulder_elevation", "right_shoulder_elevation")):
            out[part] = 0.5 * (column[left] + column[right])
        out["trunk"] = column["trunk_inclination"]
        return out
    if kind == "sit":
        up = np.array([0.0, 1.0, 0.0])
        thigh_l, thigh_r = j[:, JOINT["left_hip"]] - j[:, JOINT["left_knee"]], \
            j[:, JOINT["right_hip"]] - j[:, JOINT["right_knee"]]
        shin_l, shin_r = j[:, JOINT["left_ankle"]] - j[:, JOINT["left_knee"]], \
            j[:, JOINT["right_ankle"]] - j[:, JOINT["right_knee"]]

        def flexion(a, b):
            return 180.0 - np.degrees(np.arccos(np.clip(_dot(_unit(a), _unit(b)), -1, 1)))

        out["knee"] = 0.5 * (flexion(thigh_l, shin_l) + flexion(thigh_r, shin_r))
        # hip height against the knees read on the thighs themselves (+ hips above the knees): the knee's
        # bend alone also changes when the feet, not the hips, move
        thigh = _unit(thigh_l + thigh_r)
        out["thigh"] = np.degrees(np.arcsin(np.clip(thigh @ up, -1, 1)))
        trunk = _unit(j[:, JOINT["neck"]] - j[:, JOINT["pelvis"]])
        out["trunk"] = np.degrees(np.arccos(np.clip(trunk @ up, -1, 1)))
        shin = _unit(-(shin_l + shin_r))
        # signed: + the knees ahead of the ankles (towards where the thighs point), - the feet set out
        # ahead of the knees (too far from the wall); unsigned, feet too far out read as knees ahead
        thighs = -(thigh_l + thigh_r)
        ahead = np.sign(_dot(shin - (shin @ up)[:, None] * up, thighs))
        out["shin"] = np.degrees(np.arccos(np.clip(shin @ up, -1, 1))) * np.where(ahead == 0, 1.0, ahead)
        return out

    along = _unit(shoulders - ankles)  # towards the head
    left = (j[:, JOINT["left_hip"]] - j[:, JOINT["right_hip"]]) + \
        (j[:, JOINT["left_shoulder"]] - j[:, JOINT["right_shoulder"]])
    left = _unit(left - _dot(left, along)[:, None] * along)
    front = np.cross(left, along)  # the chest's side of the body
    elbows = _mid(j, *_ELBOWS)
    if kind == "prone":
        # The floor is on the side of the supporting arms (the chest's side unless left and right are swapped).
        down = front * _side_sign(_dot(elbows - shoulders, front))
        out["hip_line"] = _heading(hips - ankles, down, along) - _heading(shoulders - hips, down, along)
        out["neck"] = _heading(head - shoulders, down, along) - _heading(shoulders - hips, down, along)
        arm = elbows - shoulders
        out["upper_arm"] = np.degrees(np.arctan2(-_dot(arm, along), _dot(arm, down)))
        width = np.linalg.norm(j[:, JOINT["left_shoulder"]] - j[:, JOINT["right_shoulder"]], axis=-1)
        out["shoulder_width"] = width / torso_length(j)
        return out
    # side plank: the supporting elbow is the one under the shoulders, on the floor's side
    reach = np.stack([_dot(j[:, JOINT[e]] - shoulders, left) for e in _ELBOWS], 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        support = 0 if np.nanmedian(np.abs(reach[:, 0])) >= np.nanmedian(np.abs(reach[:, 1])) else 1
    down = left * _side_sign(reach[:, support])
    out["hip_side"] = _heading(hips - ankles, down, along) - _heading(shoulders - hips, down, along)
    # + hips forward (towards the chest's side), - hips pushed back
    out["hip_line"] = _heading(hips - ankles, front, along) - _heading(shoulders - hips, front, along)
    out["neck_side"] = _heading(head - shoulders, down, along) - _heading(shoulders - hips, down, along)
    shoulder = j[:, JOINT[_SHOULDERS[support]]]
    arm = j[:, JOINT[_ELBOWS[support]]] - shoulder
    out["upper_arm"] = np.degrees(np.arctan2(-_dot(arm, along), _dot(arm, down)))
    return out


def in_position(joints: np.ndarray, kind: str) -> np.ndarray:
    """(T,) bool: the body is in the hold's position (world y up)."""
    j = np.asarray(joints, dtype=np.float64)
    up = np.array([0.0, 1.0, 0.0])
    if kind == "own":   # any posture the person holds: only stillness finds it
        return np.ones(len(j), bool)
    with np.errstate(invalid="ignore"):
        if kind == "sit":
            s = posture_signals(j, "sit")
            return (s["knee"] > WALL_SIT_KNEE) & (s["trunk"] < 45.0)
        along = _unit(_mid(j, *_SHOULDERS) - _mid(j, *_ANKLES))
        flat = np.abs(along @ up) < np.cos(np.radians(LONG_AXIS_FROM_VERTICAL))
        if kind == "side":
            left = _unit(j[:, JOINT["left_shoulder"]] - j[:, JOINT["right_shoulder"]])
            flat &= np.abs(left @ up) > np.cos(np.radians(45.0))
        else:   # prone: the chest towards the floor (a body lying on its back is no plank)
            left = (j[:, JOINT["left_hip"]] - j[:, JOINT["right_hip"]]) + \
                (j[:, JOINT["left_shoulder"]] - j[:, JOINT["right_shoulder"]])
            left = _unit(left - _dot(left, along)[:, None] * along)
            flat &= np.cross(left, along) @ up < -PRONE_FACING
        return flat


def body_speed(joints: np.ndarray, fps: float, quantile: float = 50.0) -> np.ndarray:
    """(T,) median (or another `quantile`) speed of the pelvis-centred joints over SMOOTH_S windows, torso
    lengths per second.

    Displacement over half a second, not frame to frame: a tracker's jitter of a centimetre a frame would
    otherwise read as movement at 30-60 fps."""
    j = np.asarray(joints, dtype=np.float64)
    centred = (j - j[:, :1]) / torso_length(j)
    half = max(1, int(round(SMOOTH_S * fps / 2)))
    if len(j) <= 2 * half:
        return np.full(len(j), np.inf)
    step = np.linalg.norm(centred[2 * half:] - centred[:-2 * half], axis=-1) / (2 * half / fps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames with nobody: NaN, treated as moving below
        speed = np.nanpercentile(np.where(np.isfinite(step), step, np.nan), quantile, axis=1)
    speed = np.concatenate([np.full(half, speed[0]), speed, np.full(half, speed[-1])])
    return np.nan_to_num(speed, nan=np.inf)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _close_gaps(mask: np.ndarray, gap: int) -> np.ndarray:
    out = mask.copy()
    runs = _runs(mask)
    for (_, stop), (start, _) in pairwise(runs):
        if start - stop <= gap:
            out[stop:start] = True
    return out


def _smooth(x: np.ndarray, fps: float) -> np.ndarray:
    size = max(1, int(round(SMOOTH_S * fps)) | 1)
    filled = x.copy()
    bad = ~np.isfinite(filled)
    if bad.all():
        return filled
    if bad.any():
        idx = np.arange(len(x))
        filled[bad] = np.interp(idx[bad], idx[~bad], filled[~bad])
    out = median_filter(filled, size=size, mode="nearest")
    out[bad] = np.nan
    return out


def find_hold(joints: np.ndarray, present: np.ndarray, fps: float, kind: str,
              speed: np.ndarray | None = None, still_below: float = STILL_SPEED) -> tuple[int, int] | None:
    """[start, stop) frames of the longest stretch in position (any, for "own") and still (`speed`,
    body_speed by default, under `still_below`), gaps up to BRIDGE_S bridged."""
    speed = body_speed(joints, fps) if speed is None else speed
    still = median_filter((speed < still_below).astype(np.int8),
                          size=max(1, int(round(SMOOTH_S * fps)) | 1), mode="nearest").astype(bool)
    ok = in_position(joints, kind) & still & present
    ok = _close_gaps(ok, int(round(BRIDGE_S * fps)))
    runs = [r for r in _runs(ok) if (r[1] - r[0]) >= MIN_HOLD_S * fps]
    if not runs:
        return None
    start, stop = max(runs, key=lambda r: r[1] - r[0])
    return int(start), int(stop)


# ---------------------------------------------------------------------------------------------------
# The coach.

@dataclass
class FaultSegment:
    fault: str
    start_s: float
    end_s: float
    severity: str
    deviation: float  # median deviation from the reference over the stretch, in the check's unit

    def to_dict(self) -> dict:
        return {"fault": self.fault, "start_s": round(self.start_s, 1), "end_s": round(self.end_s, 1),
                "severity": self.severity, "deviation": round(self.deviation, 2)}


@dataclass
class HoldReport:
    exercise: str
    start_s: float | None
    end_s: float | None
    time_under_tension_s: float
    good_form_s: float
    segments: list[FaultSegment]
    reference: str                    # "gold" or "built-in"
    reference_values: dict[str, float]
    typical_values: dict[str, float]  # the person's median over the hold
    skipped: dict[str, list[str]] = field(default_factory=dict)
    signal: np.ndarray | None = field(default=None, repr=False)

    def fault_share(self, fault: str) -> float:
        """Share of the hold covered by stretches of `fault`."""
        if not self.time_under_tension_s:
            return 0.0
        return sum(s.end_s - s.start_s for s in self.segments if s.fault == fault) / self.time_under_tension_s

    def shifted(self, seconds: float) -> HoldReport:
        """The same report with its times `seconds` later (a hold judged on a part of a recording)."""
        from dataclasses import replace

        later = (lambda t: None if t is None else t + seconds)
        return replace(self, start_s=later(self.start_s), end_s=later(self.end_s),
                       segments=[replace(s, start_s=s.start_s + seconds, end_s=s.end_s + seconds)
                                 for s in self.segments])

    def to_dict(self) -> dict:
        return {"exercise": self.exercise,
                "start_s": None if self.start_s is None else round(self.start_s, 1),
                "end_s": None if self.end_s is None else round(self.end_s, 1),
                "time_under_tension_s": round(self.time_under_tension_s, 1),
                "good_form_s": round(self.good_form_s, 1),
                "segments": [s.to_dict() for s in self.segments],
                "reference": self.reference,
                "reference_values": {k: round(v, 2) for k, v in self.reference_values.items()},
                "typical_values": {k: round(v, 2) for k, v in self.typical_values.items()},
                "skipped_checks": self.skipped}


def _hold_values(seq: PoseSequence, kind: str) -> tuple[tuple[int, int] | None, dict[str, np.ndarray]]:
    span = find_hold(seq.joints, seq.present, seq.fps, kind)
    signals = {name: _smooth(v, seq.fps) for name, v in posture_signals(seq.joints, kind).items()}
    return span, signals


@lru_cache(maxsize=8)
def builtin_reference(label: str) -> dict[str, float]:
    """The catalog's textbook hold, measured the same way as the person's."""
    from gyml.synth import SynthConfig, synthesize
    from gyml.synth.catalog import CATALOG

    kind, _ = checks_for(label)
    if label not in CATALOG:
        return {}
    seq = synthesize(label, reps=3, seed=0, config=SynthConfig(randomize=False, noise_m=0.0))
    return _medians(posture_signals(seq.joints, kind))


def reference_pose(label: str, gold: PoseSequence | None = None) -> np.ndarray | None:
    """The reference body in the hold (24 x 3 joints) for the report's pictures: the gold's at the middle
    of its hold, else the catalog's textbook hold."""
    from gyml.synth import SynthConfig, synthesize
    from gyml.synth.catalog import CATALOG

    if gold is None:
        if label not in CATALOG:
            return None
        gold = synthesize(label, reps=3, seed=0, config=SynthConfig(randomize=False, noise_m=0.0))
    span = find_hold(gold.joints, gold.present, gold.fps, checks_for(label)[0])
    if span is None:
        return None
    return gold.joints[(span[0] + span[1]) // 2]


def reference_values(label: str, gold: PoseSequence | None) -> tuple[dict[str, float], str]:
    if gold is None:
        return builtin_reference(label), "built-in"
    kind, _ = checks_for(label)
    span, signals = _hold_values(gold, kind)
    if span is None:
        raise GymlError(f"the gold reference holds no {label.replace('_', ' ')} (no still stretch in position)")
    a, b = span
    return _medians(signals, a, b), "gold"


def coach_hold(seq: PoseSequence, label: str, gold: PoseSequence | None = None) -> HoldReport:
    kind, checks = checks_for(label)
    span, signals = _hold_values(seq, kind)
    reference, ref_name = reference_values(label, gold)
    skipped = skipped_checks(seq, {c.fault: c.needs for c in checks})
    main_signal = signals[checks[0].signal]
    if span is None:
        return HoldReport(label, None, None, 0.0, 0.0, [], ref_name, reference, {}, skipped, main_signal)
    a, b = span
    fps = seq.fps
    # seconds by the frames' own timestamps, as a rep's are: on a variable-rate video the moments named
    # are where a player shows them
    lasts = seq.frame_seconds()
    edge = np.r_[seq.frame_times(), seq.frame_times()[-1] + lasts[-1]]
    segments: list[FaultSegment] = []
    faulty = np.zeros(b - a, dtype=bool)
    for check in checks:
        if check.fault in skipped or check.signal not in reference or (check.gold_only and gold is None):
            continue
        deviation = (signals[check.signal][a:b] - reference[check.signal]) * check.direction
        with np.errstate(invalid="ignore"):
            active = deviation > check.tolerance
        active = _close_gaps(active, int(round(BRIDGE_S * fps)))
        for start, stop in _runs(active):
            if edge[a + stop] - edge[a + start] < MIN_FAULT_S - 1e-9:
                continue
            dev = float(np.nanmedian(deviation[start:stop]))
            if not dev > check.tolerance:
                # a stretch joined across its gaps whose typical deviation is inside the limit: the cue would
                # name a size within it ("shoulders 14 degrees ahead", limit 15)
                continue
            segments.append(FaultSegment(check.fault, float(edge[a + start]), float(edge[a + stop]),
                                         "fault" if dev >= SEVERE * check.tolerance else "warn", dev))
            faulty[start:stop] = True
    segments.sort(key=lambda s: s.start_s)
    typical = _medians(signals, a, b)
    return HoldReport(label, float(edge[a]), float(edge[b]), float(edge[b] - edge[a]),
                      float(lasts[a:b][~faulty].sum()), segments, ref_name, reference, typical, skipped, main_signal)


def _seconds(segments: list[FaultSegment], limit: int = 3) -> str:
    spans = [f"{s.start_s:.1f} s to {s.end_s:.1f} s" for s in segments[:limit]]
    more = len(segments) - limit
    text = spans[0] if len(spans) == 1 else ", ".join(spans[:-1]) + " and " + spans[-1]
    return text + (f", and {more} more time{'s' if more > 1 else ''}" if more > 0 else "")


def hold_feedback(report: HoldReport) -> list[Feedback]:
    """One entry per fault, with the moments in seconds; a closing line with the times."""
    name = report.exercise.replace("_", " ")
    if report.start_s is None:
        return [Feedback(None, "overall", None, "warn",
                         f"No {name} hold found: the body was never still in the {name} position for "
                         f"{MIN_HOLD_S:.0f} s or more.")]
    _, checks = checks_for(report.exercise)
    by_fault = {c.fault: c for c in checks}
    feedback = []
    for fault in dict.fromkeys(s.fault for s in report.segments):
        check = by_fault[fault]
        mine = [s for s in report.segments if s.fault == fault]
        dev = max(abs(s.deviation) for s in mine)
        amount = check.amount(dev)
        ref = "your reference take" if report.reference == "gold" else "a textbook " + name
        severity = "fault" if any(s.severity == "fault" for s in mine) else "warn"
        feedback.append(Feedback(None, "overall", check.joint, severity,
                                 f"{check.words[0].upper()}{check.words[1:]} from {_seconds(mine)} "
                                 f"(up to {amount} off {ref}).", kind=fault))
    note = skipped_note(report.skipped)
    if note:
        feedback.append(Feedback(None, "overall", None, "info", note))
    feedback.append(Feedback(None, "overall", None, "info",
                             f"Held from {report.start_s:.1f} s to {report.end_s:.1f} s: "
                             f"{report.time_under_tension_s:.1f} s under tension, {report.good_form_s:.1f} s "
                             "in good form."))
    return feedback


def fault_words(label: str) -> dict[str, str]:
    """How a hold's faults are named in a list: the kind itself ("hips sag"), or for a hold of the person's
    own, whose kinds name only a part and a way, the check's words ("arms sank")."""
    kind, checks = checks_for(label)
    return {c.fault: c.words if kind == "own" else c.fault.replace("_", " ") for c in checks}


def hold_title(label: str) -> str:
    """The hold's name: the catalog's, or the one the person gave their own."""
    from gyml.classify.personal import get_personal
    from gyml.synth.catalog import CATALOG
    if label in CATALOG:
        return CATALOG[label].name
    own = get_personal(label)
    return own.name if own is not None else label.replace("_", " ")


def hold_summary(report: HoldReport, title: str) -> str:
    name = title.lower()
    if report.start_s is None:
        return f"No {name} hold found."
    said = fault_words(report.exercise)
    faults = list(dict.fromkeys(said.get(s.fault, s.fault.replace("_", " ")) for s in report.segments))
    text = f"{name.capitalize()} held {report.time_under_tension_s:.1f} s, {report.good_form_s:.1f} s in good form"
    return text + (f"; to work on: {', '.join(faults)}." if faults else "; no form faults found.")


def sure_hold(seq: PoseSequence):
    """The exercise recognised on `seq` (the person's own first, as an analysis does) when it is a hold named
    surely: at HOLD_SURE or more, or accepted by the verifier of one of the person's own; else None."""
    from gyml.classify.default import recognise
    from gyml.classify.personal import PersonalPrediction, recognise_personal

    prediction = recognise_personal(seq) or recognise(seq)
    if prediction is None or not is_hold(prediction.label):
        return None
    sure = isinstance(prediction, PersonalPrediction) or prediction.confidence >= HOLD_SURE
    return prediction if sure else None


def holds_beside_reps(seq: PoseSequence, reps, gold_of) -> list[tuple[str, object, HoldReport]]:
    """Holds before the first rep or after the last ("before"/"after", the prediction, the hold's report in
    the recording's seconds). `reps`: the set's RepCount; `gold_of(label)`: the hold's gold or None."""
    if not reps.segments:
        return []
    out = []
    least = int(round(HOLD_BESIDE_REPS_S * seq.fps))
    for when, a, b in (("before", 0, reps.segments[0].start), ("after", reps.segments[-1].end + 1, len(seq))):
        if b - a < least or np.count_nonzero(seq.present[a:b]) < least:
            continue
        # the longest still stretch, in any position: the span also holds the set's first or last moves
        still = find_hold(seq.joints[a:b], seq.present[a:b], seq.fps, "own")
        if still is None or still[1] - still[0] < least:
            continue
        start, stop = a + still[0], a + still[1]
        part = seq.slice(start, stop)
        # recognised on its middle HOLD_BESIDE_REPS_S, as live coaching judges its last ones: the stretch's
        # edges hold the last of the set's movement, which the motion features are built to dwell on
        middle = (start + stop - least) // 2
        prediction = sure_hold(seq.slice(middle, middle + least))
        if prediction is None:
            continue
        if find_hold(part.joints, part.present, part.fps, checks_for(prediction.label)[0]) is None:
            continue
        report = coach_hold(part, prediction.label, gold_of(prediction.label))
        out.append((when, prediction, report.shifted(float(seq.frame_times()[start]))))
    return out


def coach_hold_analysis(seq: PoseSequence, prediction, gold: PoseSequence | None = None):
    """(feedback, JSON extras, summary, signal for the timeline) of a hold, for the pipeline, which passes
    the gold it found (the user's stored one included); None is the catalog's textbook hold."""
    from gyml.reps.coverage import tracking_coverage

    report = coach_hold(seq, prediction.label, gold)
    feedback = hold_feedback(report)
    coverage = tracking_coverage(seq)
    extras = {"hold": report.to_dict(), "tracking": coverage.to_dict()}
    if seq.metadata.get("absent_joints"):
        extras["absent_joints"] = list(seq.metadata["absent_joints"])
    return feedback, extras, hold_summary(report, prediction.name), report.signal


__all__ = ["HOLDS", "HoldCheck", "HoldReport", "coach_hold", "fault_words", "hold_feedback", "hold_summary",
           "hold_title", "holds_beside_reps", "is_hold",
           "joints_available", "posture_signals", "reference_pose", "sure_hold"]

"""Body geometry a coach reads in centimetres rather than degrees, judged against the person's own gold
recording: how far the hips drop at the bottom of a rep, how far apart the feet are (a lunge's stride,
a squat's stance) and how much the trunk sways sideways (balance).

Lengths are compared in the person's own size: the gold's figures are scaled by the ratio of the two
leg lengths. Tolerances (all scale with the strictness like every other check):
- hip height at the bottom: a tenth of the person's leg length (about 9 cm for an adult, roughly a
  hand's width, which a coach watching from the side notices);
- feet apart (stride, stance): 15% of the gold's distance, a share because a step is judged against
  its own length (10 cm on a 70 cm lunge stride, 6 cm on a 40 cm squat stance);
- sway: half as much again as the gold's, and at least 5 degrees more.
Each is the smallest round figure above the scatter of a good set's own reps around their median
(a check that cannot keep quiet on its own gold is of no use); see docs/lab-notes/coach.md.

Heels that rise (squats, `heel_rise`) are read against the person's standing frames, or the gold's own
heels with a gold: how far each ankle rises over its toe from standing to the bottom, in leg lengths
(HEELS_TOLERANCE, fixed on real squats presumed heels down before the labelled one was looked at:
benchmarks/coach_heels.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from gyml.coach.compare import Finding
from gyml.pose.kinematics import fill_missing
from gyml.pose.skeleton import JOINT

DEPTH_TOLERANCE = 0.10    # of the person's leg length (hip to knee to ankle)
FEET_TOLERANCE = 0.15     # of the gold's distance between the feet
SWAY_RATIO = 1.5          # times the gold's sideways trunk sway over a rep
SWAY_MARGIN = 5.0         # and at least this many degrees more
STRIDE_PERCENTILE = 90    # of the feet's spread over a rep: the lunge holds it for a third or more of the rep
# Heels rising: the ankle's height over its own toe (foot index) at the bottom of the rep (its lowest quarter
# of hip height) minus standing (its highest quarter), in leg lengths. Heels down, the
# ankle keeps its height over the toe however far the knees travel; onto the toes it rises with the heel
# (about 0.7 of the heel's lift). 0.07 (about 6 cm on an adult's leg, a heel lifted some 8 cm: clearly on
# the toes) is the smallest round share above every real squat rep presumed heels down (UCF101, RepCount
# dev, the counted, uncounted and correct form squats: largest 0.068); a milder lift is within the pose
# model's reading of feet at the bottom of a squat and is not judged.
HEELS_TOLERANCE = 0.07
# A foot is judged on a rep when its ankle and toe are both found (confidence at least FOOT_CONFIDENCE, the
# pose model's own "visible") in at least FOOT_SEEN of the rep's frames; the rep's rise is the smaller of the
# feet judged: in a squat both heels rise together, and one foot alone rising is more often the tracker
# than the body. No foot seen: the check is not made on that rep (and the feedback says so).
FOOT_CONFIDENCE = 0.5
FOOT_SEEN = 0.5

# The geometry checks each exercise has: where the feet are apart front to back the distance is a
# stride, where they are apart sideways it is a stance.
GEOMETRY_CHECKS = {
    "lunge": ("not_low_enough", "stride_long", "stride_short", "off_balance"),
    "squat": ("not_low_enough", "stance_wide", "stance_narrow"),
    "sumo_squat": ("not_low_enough", "stance_wide", "stance_narrow"),
    "squat_arm_lift": ("not_low_enough", "stance_wide", "stance_narrow"),
    "squat_jump": ("stance_wide", "stance_narrow"),
    "deadlift": ("stance_wide", "stance_narrow"),
}
# Against the built-in reference (a textbook rep, not the person's own) only the lunge's depth is also read in
# leg lengths: its knee angles leave a lunge whose hips stop a hand higher within the angle check's margin
# (bodyweight_mistakes' high take was praised). A textbook rep is no body, so it is held against each leg's
# typical rep (the median of the reps that leg leads: `pooled_by_side`), not rep by rep; a rep falling
# behind the set's own best is the own reference's to tell. A squat's depth stays the angle check's: real
# squats sit higher than the textbook rep (UCF101: 18 of 97 reps short by more than the tolerance).
BUILTIN_GEOMETRY_CHECKS = {"lunge": ("not_low_enough",)}


@dataclass
class RepGeometry:
    rep: int
    bottom: int        # frame where the hips are lowest
    hip_drop: float    # metres from standing hip height to the rep's lowest
    feet_apart: float  # metres between the ankles along the floor in the lunge (a lunge's stride)
    sway: float        # degrees: range of the trunk's sideways tilt over the rep
    leg: float         # the person's leg length, metres
    stance: float = 0.0  # metres between the ankles along the floor standing (the rep's upper quarter of hip height)


def leg_length(joints: np.ndarray) -> float:
    """Median over frames of hip-knee plus knee-ankle, the longer side (a hidden far leg is foreshortened)."""
    out = []
    for side in ("left", "right"):
        hip, knee, ankle = (joints[:, JOINT[f"{side}_{p}"]] for p in ("hip", "knee", "ankle"))
        length = np.linalg.norm(hip - knee, axis=-1) + np.linalg.norm(knee - ankle, axis=-1)
        length = length[np.isfinite(length)]
        out.append(float(np.median(length)) if length.size else 0.0)
    return max(out) or 1.0


def hip_height(joints: np.ndarray) -> np.ndarray:
    """(T,) height of the mid-hip above the lower ankle (y is up)."""
    hips = 0.5 * (joints[:, JOINT["left_hip"], 1] + joints[:, JOINT["right_hip"], 1])
    return hips - np.minimum(joints[:, JOINT["left_ankle"], 1], joints[:, JOINT["right_ankle"], 1])


def side_tilt(joints: np.ndarray) -> np.ndarray:
    """(T,) degrees the trunk (pelvis -> neck) leans towards the body's left, about the floor's vertical."""
    trunk = joints[:, JOINT["neck"]] - joints[:, JOINT["pelvis"]]
    across = joints[:, JOINT["left_hip"]] - joints[:, JOINT["right_hip"]]
    across[:, 1] = 0.0
    across /= np.maximum(np.linalg.norm(across, axis=-1, keepdims=True), 1e-9)
    share = np.einsum("ti,ti->t", trunk, across) / np.maximum(np.linalg.norm(trunk, axis=-1), 1e-9)
    return np.degrees(np.arcsin(np.clip(share, -1.0, 1.0)))


def fill_joints(joints: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """Each joint interpolated over the frames it is missing in, on its own: a joint the source never
    has (hands, toes of a 17-point skeleton) stays NaN instead of spoiling the others."""
    out = np.array(joints, dtype=np.float64)
    for k in range(out.shape[1]):
        known = (confidence[:, k] > 0) & np.isfinite(out[:, k]).all(axis=1)
        if known.any():
            out[:, k] = fill_missing(out[:, k], known)
    return out


def rep_geometry(joints: np.ndarray, confidence: np.ndarray, spans: list[tuple[int, int, int]]
                 ) -> list[RepGeometry]:
    """Geometry of each rep; `spans` are (rep index, first frame, last frame)."""
    j = fill_joints(joints, confidence)
    present = (confidence > 0).any(axis=1)
    height = hip_height(j)
    seen = height[present] if present.any() else height
    standing = float(np.percentile(seen, 95))
    tilt = side_tilt(j)
    leg = leg_length(j[present] if present.any() else j)
    out = []
    for rep, start, end in spans:
        frames = np.arange(start, end + 1)
        bottom = int(frames[np.argmin(height[frames])])
        lo, hi = np.percentile(tilt[frames], [5, 95])
        # The stride is the spread the feet hold while planted apart, a high percentile over the rep,
        # not the spread at the lowest hips: filmed from the side, a tracker that loses the far leg
        # at that moment draws both ankles at one spot (real takes read 3-28 cm there against 70-110 cm
        # held), and the cue then says "take a longer step" to a stride that was too long.
        stride = float(np.percentile(_feet_apart(j, frames), STRIDE_PERCENTILE))
        # The stance likewise over the rep's standing frames (its upper quarter of hip height), not the
        # one frame of highest hips, which one slip of the tracker decides.
        upright = frames[height[frames] >= np.percentile(height[frames], 75)]
        stance = float(np.median(_feet_apart(j, upright)))
        out.append(RepGeometry(rep, bottom, standing - float(height[bottom]), stride,
                               float(hi - lo), leg, stance=stance))
    return out


def heel_rise(joints: np.ndarray, confidence: np.ndarray, spans: list[tuple[int, int, int]]
              ) -> tuple[list[float | None], float]:
    """Per rep (`spans`: rep index, first frame, last frame), how far the heels rose from standing to the
    bottom: the ankle's height over its toe, bottom minus standing, in the person's leg lengths, the
    smaller of the feet seen (see HEELS_TOLERANCE); None where no foot was seen. And the leg length
    (metres) they are measured in."""
    j = fill_joints(joints, confidence)
    conf = np.asarray(confidence, dtype=np.float64)
    present = (conf > 0).any(axis=1)
    leg = leg_length(j[present] if present.any() else j)
    height = hip_height(j)
    out: list[float | None] = []
    for _, start, end in spans:
        frames = np.arange(max(start, 0), min(end, len(j) - 1) + 1)
        h = height[frames]
        if len(frames) < 2 or not np.isfinite(h).any():
            out.append(None)
            continue
        h = np.where(np.isfinite(h), h, np.nanmedian(h))
        bottom = frames[h <= np.percentile(h, 25)]
        # standing: the rep's upper quarter of hip height, as the stance (the start alone is what the
        # counter cut, and a rep cut late has few standing frames before its bottom)
        standing = frames[h >= np.percentile(h, 75)]
        rises = []
        for side in ("left", "right"):
            ankle, toe = JOINT[f"{side}_ankle"], JOINT[f"{side}_foot"]
            seen = np.mean((conf[frames, ankle] >= FOOT_CONFIDENCE) & (conf[frames, toe] >= FOOT_CONFIDENCE))
            if seen < FOOT_SEEN:
                continue
            over = (j[:, ankle, 1] - j[:, toe, 1]) / leg
            rise = float(np.nanmedian(over[bottom]) - np.nanmedian(over[standing]))
            if np.isfinite(rise):
                rises.append(rise)
        out.append(min(rises) if rises else None)
    return out, leg


def heel_findings(rises: list[float | None], reps: list[int], leg: float, reference: float = 0.0,
                  tol: float = 1.0, against: str = "") -> list[Finding]:
    """`heels_rise` on each rep whose heels rose more than HEELS_TOLERANCE (scaled by the strictness) past
    `reference` (0: the person's own standing; with a gold, the gold reps' median rise, `against` "gold").
    The value is in centimetres of the person's `leg`."""
    out = []
    for rep, rise in zip(reps, rises):
        if rise is not None and rise - reference > HEELS_TOLERANCE * tol:
            out.append(Finding(rep, "heels_rise", "mid", "feet", 100 * (rise - reference) * leg, against=against))
    return out


def _feet_apart(joints: np.ndarray, frames) -> np.ndarray:
    feet = joints[frames, JOINT["left_ankle"]] - joints[frames, JOINT["right_ankle"]]
    return np.hypot(feet[..., 0], feet[..., 2])


def pooled_by_side(user: list[RepGeometry], sides: list[str]) -> list[RepGeometry]:
    """Each rep's hip drop replaced by the median over the reps led by the same side (`sides`, one per rep)."""
    drops = {side: float(np.median([g.hip_drop for g, s in zip(user, sides) if s == side])) for side in set(sides)}
    return [replace(g, hip_drop=drops[side]) for g, side in zip(user, sides)]


def geometry_profile(gold: list[RepGeometry]) -> dict:
    """Median of each measure over the gold reps."""
    return {"hip_drop": float(np.median([g.hip_drop for g in gold])),
            "feet_apart": float(np.median([g.feet_apart for g in gold])),
            "stance": float(np.median([g.stance for g in gold])),
            "sway": float(np.median([g.sway for g in gold])),
            "leg": float(np.median([g.leg for g in gold]))}


def geometry_findings(user: list[RepGeometry], gold: dict, checks: tuple[str, ...], tol: float = 1.0
                      ) -> list[Finding]:
    """Findings in centimetres (lengths) or degrees (sway) against the gold profile, the gold's lengths
    scaled to the person's legs."""
    findings = []
    for g in user:
        scale = g.leg / max(gold["leg"], 1e-9)
        if "not_low_enough" in checks:
            short = gold["hip_drop"] * scale - g.hip_drop
            if short > DEPTH_TOLERANCE * tol * g.leg:
                findings.append(Finding(g.rep, "not_low_enough", "mid", "hip", 100 * short))
        # A stride is read at the bottom of the lunge; a stance standing, where the feet are planted
        # whatever the depth (measured at the bottom it would move with the depth in bodies whose
        # ankles turn as the knees bend).
        for wider, narrower, measured, expected in (
                ("stride_long", "stride_short", g.feet_apart, gold["feet_apart"] * scale),
                ("stance_wide", "stance_narrow", g.stance, gold["stance"] * scale)):
            apart = measured - expected
            for kind, value in ((wider, apart), (narrower, -apart)):
                if kind in checks and value > FEET_TOLERANCE * tol * expected:
                    phase = "mid" if kind.startswith("stride") else "start"
                    findings.append(Finding(g.rep, kind, phase, "feet", 100 * value))
        more = g.sway - gold["sway"]
        if "off_balance" in checks and g.sway > SWAY_RATIO * tol * gold["sway"] and more > SWAY_MARGIN * tol:
            findings.append(Finding(g.rep, "off_balance", "overall", "trunk", more))
    return findings

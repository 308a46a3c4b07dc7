"""Whole-rep comparison with a gold reference, in joint angles (body-size and camera invariant).

Each rep is measured at its start, its midpoint and over its duration; each measure is compared with
the gold reps', and a deviation larger than the tolerance becomes a finding: which rep, which moment,
which body part, which way, by how much.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import ANGLE_NAMES, joint_angles
from gyml.reps.counter import RepCount
from gyml.reps.signal import fill_missing

STRICTNESS = {"beginner": 1.5, "intermediate": 1.0, "expert": 0.7}

# Symmetric pairs are judged on the mean of both sides; asymmetry separately.
PAIRED = {"knee": ("left_knee_flexion", "right_knee_flexion"), "hip": ("left_hip_flexion", "right_hip_flexion"),
          "elbow": ("left_elbow_flexion", "right_elbow_flexion"),
          "shoulder": ("left_shoulder_elevation", "right_shoulder_elevation")}


@dataclass
class RepMeasures:
    index: int
    start: int
    mid: int
    end: int
    angles_mid: dict
    angles_start: dict
    excursion: dict        # joint -> degrees moved from start to mid (both sides averaged)
    side_excursion: dict   # joint -> (left, right)
    down_s: float
    up_s: float
    active_s: float        # time spent more than half-way from the start pose to the midpoint pose


@dataclass
class Finding:
    rep: int
    kind: str
    phase: str
    joint: str
    value: float  # the size of the deviation, in the unit the message uses
    severity: str = "fault"


def angle_table(seq: PoseSequence) -> np.ndarray:
    a = joint_angles(seq.joints)
    return fill_missing(a, seq.present & np.isfinite(a).all(axis=1))


def measure_reps(seq: PoseSequence, reps: RepCount, angles: np.ndarray | None = None) -> list[RepMeasures]:
    a = angle_table(seq) if angles is None else angles
    out = []
    for seg in reps.segments:
        start = a[seg.start]
        # The midpoint is where the body is furthest from the start pose in angle space.
        window = a[seg.start:seg.end + 1]
        away = np.abs(window - start).sum(axis=1)
        mid_i = seg.start + int(np.argmax(away)) if len(window) else seg.mid
        # Valley-to-valley spans swallow pauses at rest; the time spent more than half-way out does not.
        active = _half_width(away, mid_i - seg.start) / seq.fps if len(window) else 0.0
        mid = a[mid_i]
        dev = {n: float(v) for n, v in zip(ANGLE_NAMES, mid)}
        st = {n: float(v) for n, v in zip(ANGLE_NAMES, start)}
        exc, side = {}, {}
        for joint, (left, right) in PAIRED.items():
            lo = abs(dev[left] - st[left])
            ro = abs(dev[right] - st[right])
            exc[joint] = 0.5 * (lo + ro)
            side[joint] = (lo, ro)
        exc["trunk"] = abs(dev["trunk_inclination"] - st["trunk_inclination"])
        out.append(RepMeasures(seg.index, seg.start, mid_i, seg.end, dev, st, exc, side,
                               (mid_i - seg.start) / seq.fps, (seg.end - mid_i) / seq.fps, active))
    return out


def _half_width(away: np.ndarray, peak: int) -> float:
    """Frames around `peak` during which `away` stays above half its peak value."""
    half = 0.5 * away[peak]
    left = peak
    while left > 0 and away[left - 1] > half:
        left -= 1
    right = peak
    while right < len(away) - 1 and away[right + 1] > half:
        right += 1
    return float(right - left + 1)


def gold_profile(gold: list[RepMeasures]) -> dict:
    """Median of each measure over the gold reps."""
    def med(get):
        return float(np.median([get(r) for r in gold]))
    return {
        "angles_mid": {n: med(lambda r, n=n: r.angles_mid[n]) for n in ANGLE_NAMES},
        "excursion": {j: med(lambda r, j=j: r.excursion[j]) for j in gold[0].excursion},
        "duration": med(lambda r: r.active_s),
    }


def main_joint(gold: dict, watched: tuple[str, ...]) -> str | None:
    """The body part a coach names for depth: the first of the exercise's moving joints (listed in the
    catalog in coaching order) that really moves in the gold rep, else the one that moves most."""
    moving = [j for j in watched if gold["excursion"].get(j, 0.0) > 20]
    if moving:
        return moving[0]
    return max(gold["excursion"], key=gold["excursion"].get, default=None)


def compare(user: list[RepMeasures], gold: dict, watched: tuple[str, ...], checks: tuple[str, ...],
            strictness: str = "intermediate") -> list[Finding]:
    tol = STRICTNESS.get(strictness, 1.0)
    findings: list[Finding] = []
    main = main_joint(gold, watched)
    durations = np.array([r.active_s for r in user]) if user else np.zeros(0)
    typical = float(np.median(durations)) if len(durations) else 0.0
    for r in user:
        g_mid = gold["angles_mid"]
        if main and ("shallow" in checks or "partial_range" in checks) and gold["excursion"][main] > 20:
            short = gold["excursion"][main] - r.excursion[main]
            if short > 0.28 * tol * gold["excursion"][main]:
                kind = "shallow" if "shallow" in checks else "partial_range"
                findings.append(Finding(r.index, kind, "mid", main, short))
        if "knees_cave" in checks:
            # Caving means the knees end up inside the feet, and clearly narrower than in the gold rep
            # (a shallower squat also narrows the knees a little, which is not this fault).
            drop = g_mid["knee_width_ratio"] - r.angles_mid["knee_width_ratio"]
            inside = r.angles_mid["knee_width_ratio"] < r.angles_start["knee_width_ratio"] * (1.0 + 0.05 / tol)
            if inside and drop > 0.22 * tol * max(g_mid["knee_width_ratio"], 0.5):
                findings.append(Finding(r.index, "knees_cave", "mid", "knee", drop))
        if "hips_sag" in checks or "hips_pike" in checks:
            diff = r.angles_mid["body_line"] - g_mid["body_line"]
            for value, phase in ((diff, "mid"),):
                if abs(value) > 12 * tol:
                    kind = "hips_sag" if value > 0 else "hips_pike"
                    if kind in checks:
                        findings.append(Finding(r.index, kind, phase, "hip", abs(value)))
        if "forward_lean" in checks or "rounded_back" in checks:
            lean = r.angles_mid["trunk_inclination"] - g_mid["trunk_inclination"]
            if lean > 15 * tol:
                kind = "rounded_back" if "rounded_back" in checks else "forward_lean"
                findings.append(Finding(r.index, kind, "mid", "trunk", lean))
        if "elbows_flare" in checks:
            flare = 0.5 * ((r.angles_mid["left_shoulder_abduction"] - g_mid["left_shoulder_abduction"])
                           + (r.angles_mid["right_shoulder_abduction"] - g_mid["right_shoulder_abduction"]))
            if abs(flare) > 14 * tol:
                findings.append(Finding(r.index, "elbows_flare", "mid", "elbow", abs(flare)))
        if "asymmetric_arms" in checks:
            for joint in ("elbow", "shoulder"):
                left, right = r.side_excursion[joint]
                big = max(left, right)
                if big > 25 and abs(left - right) > 0.35 * tol * big:
                    findings.append(Finding(r.index, "asymmetric_arms", "mid", joint, abs(left - right)))
                    break
        if "too_fast" in checks and typical > 0:
            duration = r.active_s
            reference = min(typical, gold["duration"]) if gold["duration"] > 0 else typical
            if duration < 0.62 / tol * reference:
                findings.append(Finding(r.index, "too_fast", "overall", "tempo", duration))
    # One arm lagging also lowers the two-arm average range: report the cause, not both.
    lopsided = {f.rep for f in findings if f.kind == "asymmetric_arms"}
    return [f for f in findings if not (f.rep in lopsided and f.kind in ("shallow", "partial_range"))]


def rep_score(r: RepMeasures, findings: list[Finding], gold: dict) -> int:
    """0-100: full marks for a rep like the gold one, less for each fault and for lost range."""
    penalty = 25 * sum(1 for f in findings if f.rep == r.index)
    main = max(gold["excursion"], key=gold["excursion"].get)
    if gold["excursion"][main] > 0:
        penalty += 30 * max(0.0, 1 - r.excursion[main] / gold["excursion"][main])
    return int(round(max(0.0, 100 - penalty)))

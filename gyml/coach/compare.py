"""Whole-rep comparison with a gold reference, in joint angles (body-size and camera invariant).

Each rep is measured at its start, its midpoint and over its duration; each measure is compared with
the gold reps', and a deviation larger than the tolerance becomes a finding: which rep, which moment,
which body part, which way, by how much.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from gyml.coach.align import STEPS, align_to_gold, moving_columns, resample, template, template_phases
from gyml.pose.kinematics import Kinematics
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import ANGLE_NAMES, JOINT, UP, body_frame
from gyml.reps.counter import RepCount, RepSegment

STRICTNESS = {"beginner": 1.5, "intermediate": 1.0, "expert": 0.7}

# Pairs of sides. A rep's range is the side that moved more (in alternating exercises only one side
# moves per rep); asymmetry is judged separately.
PAIRED = {"knee": ("left_knee_flexion", "right_knee_flexion"), "hip": ("left_hip_flexion", "right_hip_flexion"),
          "elbow": ("left_elbow_flexion", "right_elbow_flexion"),
          "shoulder": ("left_shoulder_elevation", "right_shoulder_elevation"),
          "arm_opening": ("left_shoulder_abduction", "right_shoulder_abduction")}


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
    side_view: float = 0.0  # 0 = filmed from the front or back, 1 = from the side (monocular video only)
    into_s: float = 0.0     # of active_s: the part before the turning point (the descent of a squat)
    out_s: float = 0.0      # and after it (the ascent)
    set_low: dict | None = None   # each angle's 5th and 95th percentile over the whole set: the ends it
    set_high: dict | None = None  # rests at, whichever way a joint travels
    curve: np.ndarray | None = None  # every angle over the rep, start to end, resampled to STEPS steps
    seconds: float = 0.0             # start to end
    shins_mid: float = 0.0           # the shins' mean angle from vertical at the turning point, degrees
    shins_curve: np.ndarray | None = None  # and over the rep, resampled like `curve`
    seen: float = 1.0                # share of the rep's frames with the body found
    cut: bool = False                # the recording ends at the rep's turning point or before it: how deep
    #                                  it went is unknown
    timed: bool = True               # False when the recording begins or ends while the rep is more than
    #                                  half-way out: how long it took is unknown


@dataclass
class Finding:
    rep: int
    kind: str
    phase: str
    joint: str
    value: float  # the size of the deviation, in the unit the message uses
    severity: str = "fault"
    against: str = ""  # what the rep was held against when not the reference ("shins": the trunk-tibia rule;
    #                    "front" or "rear": the gold's knee of the same role, legs that alternate)


# Sources that see the body through one camera: depth (our z axis) is their weakest estimate.
MONOCULAR = ("video", "repcount", "csv", "live")
# Beyond this share of the body's left-right axis along the camera's depth, sideways measures (elbow
# flare, knees caving, one side against the other) are guesses: the far side is hidden.
SIDE_VIEW = 0.75
LATERAL_CHECKS = ("elbows_flare", "knees_cave", "asymmetric_arms")
# Nor are they judged on a rep the body was lost for in more than a fifth of its frames: one side's path is
# then drawn across the gap, and "one arm moved less" is the gap (real rep sets: asymmetric arms found on 19
# of the 70 such reps, 34 of the other 1,518)
SEEN_FOR_SIDES = 0.8
TURN_WINDOW_S = 0.1      # seconds round a rep's turning point (and its start) its pose is read over,
TURN_SHARE = 0.1         # and at most this share of the rep
FASTEST_SHARE = 0.25     # a rep (or half) timed quicker than this share of the set's usual is mis-timed
# Degrees of trunk lean past the gold's at the turning point, and on the way down or up, where the gold
# is the catalog's interpolation between key poses and real people's hips lead differently.
TRUNK_TOLERANCE = 16.0
TRUNK_TOLERANCE_MOVING = 18.0
# Squats against the built-in reference: the trunk is judged against the person's own shins at the
# bottom (the screening rule "trunk and tibia about parallel", within 20 degrees), not against the
# textbook rep, whose upright trunk real bodies of other proportions and ankle mobility cannot match.
TRUNK_TIBIA_TOLERANCE = 20.0


def measure_reps(seq: PoseSequence, reps: RepCount, angles: np.ndarray | None = None,
                 rest_pose: np.ndarray | None = None, kinematics: Kinematics | None = None) -> list[RepMeasures]:
    """Measures of every counted rep. With `rest_pose` (joint angles), each rep's boundaries move to the
    frames nearest that pose between neighbouring midpoints: in alternating exercises the counter's
    valleys fall on the other side's turning point, not on the rest between reps."""
    kinematics = Kinematics.of(seq, kinematics)
    a = kinematics.angles if angles is None else angles
    segments = reps.segments if rest_pose is None else _rest_boundaries(a, reps.segments, rest_pose)
    if seq.source in MONOCULAR:
        _, left, _ = body_frame(kinematics.filled_joints)
        depth_share = np.abs(left[:, 2])
    else:
        depth_share = np.zeros(len(seq))
    present = seq.present if seq.present.any() else np.ones(len(a), bool)
    shins = shin_inclination(kinematics.filled_joints)
    p5, p95 = np.percentile(a[present], [5, 95], axis=0)
    low, high = dict(zip(ANGLE_NAMES, p5.tolist())), dict(zip(ANGLE_NAMES, p95.tolist()))
    out = []
    for seg in segments:
        start = a[seg.start]
        # The midpoint is where the body is furthest from the start pose in angle space.
        window = a[seg.start:seg.end + 1]
        away = np.abs(window - start).sum(axis=1)
        mid_i = seg.start + int(np.argmax(away)) if len(window) else seg.mid
        # Valley-to-valley spans swallow pauses at rest; the time spent more than half-way out does not.
        before, after = _half_width(away, mid_i - seg.start) if len(window) else (0, 0)
        # one frame is one draw of the tracker's noise, and the turning point is the frame chosen for being
        # furthest out, noise included: the pose there and at the start is a median over a short window,
        # short beside the rep too (a quick rep's turn is sharp)
        w = int(round(min(TURN_WINDOW_S * seq.fps, TURN_SHARE * (seg.end - seg.start)) / 2))
        turn = slice(max(seg.start, mid_i - w), min(seg.end, mid_i + w) + 1)
        dev = dict(zip(ANGLE_NAMES, np.median(a[turn], axis=0).tolist()))
        st = dict(zip(ANGLE_NAMES, np.median(a[seg.start:min(seg.end, seg.start + w) + 1], axis=0).tolist()))
        exc, side = {}, {}
        for joint, (left, right) in PAIRED.items():
            lo = abs(dev[left] - st[left])
            ro = abs(dev[right] - st[right])
            exc[joint] = max(lo, ro)
            side[joint] = (lo, ro)
        exc["trunk"] = abs(dev["trunk_inclination"] - st["trunk_inclination"])
        down_s, up_s, active_s, into_s, out_s = _timing(seq, seg.start, mid_i, seg.end, before, after)
        out.append(RepMeasures(seg.index, seg.start, mid_i, seg.end, dev, st, exc, side, down_s, up_s, active_s,
                               side_view=float(np.median(depth_share[seg.start:seg.end + 1])),
                               set_low=low, set_high=high, into_s=into_s, out_s=out_s,
                               curve=resample(a[seg.start:seg.end + 1]), seconds=seq.seconds(seg.start, seg.end),
                               shins_mid=float(np.median(shins[turn])), shins_curve=resample(shins[seg.start:seg.end + 1]),
                               seen=float(np.mean(present[seg.start:seg.end + 1])),
                               cut=seg.end >= len(a) - 2 and mid_i >= seg.end - 1,
                               timed=mid_i - before > 0 and mid_i + after < len(a) - 1))
    return out


def shin_inclination(joints: np.ndarray) -> np.ndarray:
    """(T,) the two shins' mean angle from the vertical (ankle -> knee), degrees."""
    j = np.asarray(joints, dtype=np.float64)
    angles = []
    for side in ("left", "right"):
        shin = j[:, JOINT[f"{side}_knee"]] - j[:, JOINT[f"{side}_ankle"]]
        cos = shin @ UP / np.maximum(np.linalg.norm(shin, axis=-1), 1e-9)
        angles.append(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
    return np.mean(angles, axis=0)


def _timing(seq: PoseSequence, start: int, mid: int, end: int, before: int, after: int
            ) -> tuple[float, float, float, float, float]:
    """(down, up, active, into, out) seconds of a rep: start to midpoint, midpoint to end, the frames
    more than half-way out (`before` and `after` the midpoint), and those before and after the turning
    point, each with half of the midpoint's frame. By the frames' timestamps when the source has them
    (a variable frame rate), else at 1/fps a frame."""
    if seq.times is None:
        fps = seq.fps
        return ((mid - start) / fps, (end - mid) / fps, (before + after + 1) / fps, (before + 0.5) / fps,
                (after + 0.5) / fps)
    lasts = seq.frame_seconds()
    half = 0.5 * float(lasts[mid])
    into = float(lasts[mid - before:mid].sum()) + half
    out = float(lasts[mid + 1:mid + after + 1].sum()) + half
    return seq.seconds(start, mid), seq.seconds(mid, end), into + out, into, out


def _rest_boundaries(a: np.ndarray, segments: list[RepSegment], rest_pose: np.ndarray) -> list[RepSegment]:
    near = np.abs(a - rest_pose).sum(axis=1)
    mids = [s.mid for s in segments]
    out = []
    for k, seg in enumerate(segments):
        lo = mids[k - 1] if k > 0 else 0
        hi = mids[k + 1] if k + 1 < len(mids) else len(a) - 1
        start = lo + int(np.argmin(near[lo:seg.mid + 1]))
        end = seg.mid + int(np.argmin(near[seg.mid:hi + 1]))
        out.append(RepSegment(seg.index, start, seg.mid, end, seg.confidence))
    return out


# A set whose counted reps open at their turning point (the clip began at the top, or the counter's start
# pose was the top: RepCount's jumping jacks and sit-ups, pull-ups filmed from the top) is half a cycle off
# the gold's reps; compared "at the top", its rest would meet the gold's top on every rep.
HALF_CYCLE_NEARER = 0.5


def watched_columns(watched: tuple[str, ...]) -> list[int]:
    """Angle columns of the joints a coach watches (every paired joint and the trunk when none is named)."""
    names = [n for j in (watched or (*PAIRED, "trunk")) for n in (("trunk_inclination",) if j == "trunk"
                                                                    else PAIRED.get(j, ()))]
    return [ANGLE_NAMES.index(n) for n in names]


def in_phase_segments(a: np.ndarray, segments: list[RepSegment], opening: np.ndarray, columns: list[int]
                      ) -> list[RepSegment]:
    """`segments` re-cut half a cycle on when they are out of phase with the gold's reps: when their
    midpoints sit at least twice as near `opening` (the gold reps' opening pose, joint angles) as their
    starts do, median over the reps, on `columns`. Each rep then runs from its own rest (the frame nearest
    `opening` in it) to the next rep's, turning at the boundary between them; the last one ends as long
    after its turning point as it began before it. A last rep whose boundary is the end of the recording
    has no turning point there: it runs from its rest to the recording's end (`RepMeasures.cut`). Else
    `segments` itself."""
    if not segments or not columns:
        return segments
    near = np.abs(a[:, columns] - opening[columns]).mean(axis=1)
    at_start = float(np.median([near[s.start] for s in segments]))
    at_mid = float(np.median([near[s.mid] for s in segments]))
    if not at_mid < HALF_CYCLE_NEARER * at_start:
        return segments
    rests = [s.start + int(np.argmin(near[s.start:s.end + 1])) for s in segments]
    out = []
    for k, seg in enumerate(segments):
        if k + 1 < len(segments):
            # counted reps may share a frame or two: the next rest is never before this turning point
            out.append(RepSegment(seg.index, rests[k], seg.end, max(rests[k + 1], seg.end), seg.confidence))
        elif seg.end < len(a) - 2:
            out.append(RepSegment(seg.index, rests[k], seg.end, min(len(a) - 1, 2 * seg.end - rests[k]),
                                  seg.confidence))
        else:
            # the recording ends before this rep's turning point: it runs from its rest to the last frame.
            # Kept in its counted span it opened at the turning point before it and was measured back to
            # front, beside reps measured from their rest ("knees bend 109 degrees less" on a full squat).
            start = rests[k] if rests[k] < seg.end - 1 else seg.mid
            out.append(RepSegment(seg.index, start, seg.end, seg.end, seg.confidence))
    return out


def in_phase_with_gold(reps: RepCount, angles: np.ndarray, gold_angles: np.ndarray, gold: list[RepMeasures],
                       watched: tuple[str, ...]) -> RepCount:
    """`reps` (counted on `angles`) with their segments in phase with the gold reps' (`gold`, measured on
    `gold_angles`): see `in_phase_segments`; the count itself never changes."""
    opening = np.median([gold_angles[r.start] for r in gold], axis=0)
    segments = in_phase_segments(angles, reps.segments, opening, watched_columns(watched))
    return reps if segments is reps.segments else replace(reps, segments=segments)


def _half_width(away: np.ndarray, peak: int) -> tuple[int, int]:
    """Frames before and after `peak` during which `away` stays above half its peak value."""
    half = 0.5 * away[peak]
    left = peak
    while left > 0 and away[left - 1] > half:
        left -= 1
    right = peak
    while right < len(away) - 1 and away[right + 1] > half:
        right += 1
    return peak - left, right - peak


# A gold alternates legs (a lunge) when its reps' hips differ by more than this at the turning point and each
# leg leads in at least ALTERNATE_SHARE of them
LEAD_HIP_GAP, ALTERNATE_SHARE = 30.0, 0.25


# each sided angle's name -> the other side's
_OTHER_SIDE = {n: ("right_" + n[5:] if n.startswith("left_") else "left_" + n[6:])
               for n in ANGLE_NAMES if n.startswith(("left_", "right_"))}


def leading_leg(angles: dict) -> str:
    """"left" or "right": the leg leading the rep, the more bent hip (`angles`: at the turning point)."""
    return "left" if angles["left_hip_flexion"] >= angles["right_hip_flexion"] else "right"


def lead_first(angles: dict) -> dict:
    """The rep's angles with its leading leg (`leading_leg`) as "left"."""
    if leading_leg(angles) == "left":
        return angles
    return {_OTHER_SIDE.get(n, n): v for n, v in angles.items()}


def alternates_legs(gold: list[RepMeasures]) -> bool:
    gap = np.array([r.angles_mid["left_hip_flexion"] - r.angles_mid["right_hip_flexion"] for r in gold])
    return bool(len(gap) and np.median(np.abs(gap)) > LEAD_HIP_GAP
                and min(np.mean(gap > 0), np.mean(gap < 0)) >= ALTERNATE_SHARE)


def gold_profile(gold: list[RepMeasures]) -> dict:
    """Median of each measure over the gold reps. A gold that alternates legs also has its angles at the
    turning point by leg role (`angles_mid_lead`: the leading leg as "left"): the median by side mixes the
    front and the rear knee, which bend and track differently."""
    def med(get):
        return float(np.median([get(r) for r in gold]))
    lead = ({n: med(lambda r, n=n: lead_first(r.angles_mid)[n]) for n in ANGLE_NAMES}
            if alternates_legs(gold) else None)
    way = {j: _direction(gold, j) for j in gold[0].excursion}
    rep = template([r.curve for r in gold])
    cols = moving_columns(rep)
    return {
        "template": rep, "timing_columns": cols, "phases": template_phases(rep, cols),
        "angles_mid": {n: med(lambda r, n=n: r.angles_mid[n]) for n in ANGLE_NAMES},
        "direction": way,
        "travel": {j: med(lambda r, j=j: travel(r, j, way[j])) for j in way},
        "turn": {j: med(lambda r, j=j: turning_angle(r, j, way[j])) for j in way},
        "excursion": {j: med(lambda r, j=j: r.excursion[j]) for j in gold[0].excursion},
        "duration": med(lambda r: r.active_s),
        "into": med(lambda r: r.into_s),
        "out": med(lambda r: r.out_s),
        "angles_mid_lead": lead,
    }


# What a movement must do in its gold for a check to mean something (a person's own exercise, which the
# catalog does not describe): a joint "moves" past MOVES degrees; the knees cave or the elbows flare only
# where they bend past BENDS; both sides move alike (an alternating movement's reps use one) above SIDES_ALIKE
# of each other; the trunk is upright below UPRIGHT and lying beyond LYING degrees from vertical; a body
# line within STRAIGHT degrees is held straight (a plank's, a push-up's).
MOVES, BENDS, SIDES_ALIKE, UPRIGHT, LYING, STRAIGHT = 25.0, 40.0, 0.65, 45.0, 60.0, 25.0


def checks_from_gold(gold: list[RepMeasures], profile: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The checks, and the moving joints in coaching order (most travel first), that a movement the
    catalog does not know supports, read from its gold reps: range and tempo always; one arm against the
    other where both arms move alike; posture by how the gold holds the body (standing: trunk lean and,
    where the knees bend, knees caving; lying straight: hips sagging or piking); elbows flaring where they
    bend. Running every check of the catalog on any movement told a pommel-horse circle its "hips sag 99°"."""
    excursion = profile["excursion"]
    moving = tuple(sorted((j for j in ("knee", "hip", "elbow", "shoulder") if excursion.get(j, 0.0) > MOVES),
                          key=lambda j: -excursion[j]))
    if not moving:
        moving = (max(excursion, key=excursion.get),) if excursion else ()

    def change(name: str) -> float:
        """How far an angle goes from the rep's start to its turning point (median over the gold reps)."""
        return float(np.median([r.angles_mid[name] - r.angles_start[name] for r in gold]))

    def together(joint: str, least: float) -> bool:
        """Both sides travel past `least`, alike, into the same turning point (not one side a rep)."""
        left, right = (change(n) for n in PAIRED[joint])
        return left * right > 0 and min(abs(left), abs(right)) > max(least, SIDES_ALIKE * max(abs(left), abs(right)))

    def median(name: str, key: str = "angles_start") -> float:
        return float(np.median([getattr(r, key)[name] for r in gold]))

    trunk = median("trunk_inclination")
    straight = max(abs(median("body_line")), abs(median("body_line", "angles_mid"))) < STRAIGHT
    checks = ["partial_range", "too_fast"]
    if any(j in moving and together(j, MOVES) for j in ("elbow", "shoulder")):
        checks.append("asymmetric_arms")
    if trunk < UPRIGHT:
        checks.append("forward_lean")
        if together("knee", BENDS):
            checks.append("knees_cave")
    elif LYING < trunk < 180.0 - LYING and straight:   # held in one line from start to turning point
        checks += ["hips_sag", "hips_pike"]
    if "elbow" in moving and excursion["elbow"] > BENDS:
        checks.append("elbows_flare")
    return tuple(checks), moving


def main_joint(gold: dict, watched: tuple[str, ...]) -> str | None:
    """The body part a coach names for depth: the first of the exercise's moving joints (listed in the
    catalog in coaching order) that really moves in the gold rep, else the one that moves most."""
    moving = [j for j in watched if gold["excursion"].get(j, 0.0) > 20]
    if moving:
        return moving[0]
    return max(gold["excursion"], key=gold["excursion"].get, default=None)


def _sides(joint: str) -> tuple[str, ...]:
    return PAIRED.get(joint, ("trunk_inclination",) if joint == "trunk" else ())


def _direction(reps: list[RepMeasures], joint: str) -> float:
    """+1 when the joint's angle grows from start to midpoint in these reps, else -1."""
    names = _sides(joint)
    if not names:
        return 1.0
    start = np.median([np.mean([r.angles_start[n] for n in names]) for r in reps])
    mid = np.median([np.mean([r.angles_mid[n] for n in names]) for r in reps])
    return 1.0 if mid >= start else -1.0


def _active_side(r: RepMeasures, joint: str, direction: float) -> str | None:
    """The side that travels further from where it rests over the set (in alternating exercises, the
    side doing this rep). The set-wide resting end, unlike the rep's first frame, stays right when reps
    overlap (one arm lowers while the other rises) and when a clip starts mid-rep."""
    names = _sides(joint)
    if not names or r.set_low is None:
        return None
    rest = r.set_low if direction > 0 else r.set_high
    return max(names, key=lambda n: direction * (r.angles_mid[n] - rest[n]))


def travel(r: RepMeasures, joint: str, direction: float) -> float:
    """Degrees the rep's active side travels from its resting end."""
    side = _active_side(r, joint, direction)
    if side is None:
        return r.excursion.get(joint, 0.0)
    rest = r.set_low if direction > 0 else r.set_high
    return direction * (r.angles_mid[side] - rest[side])


def turning_angle(r: RepMeasures, joint: str, direction: float) -> float:
    """The active side's angle at the rep's turning point."""
    side = _active_side(r, joint, direction)
    return r.angles_mid[side] if side else 0.0


ANGLE_INDEX = {n: i for i, n in enumerate(ANGLE_NAMES)}


@dataclass
class Alignment:
    """A user rep warped onto the gold rep: for each of its STEPS steps, the gold step and phase."""
    match: np.ndarray
    phases: np.ndarray
    distance: float  # mean angle difference along the warp, degrees

    def difference(self, r: RepMeasures, gold: dict, columns: tuple[str, ...]) -> np.ndarray:
        """The user's angle (columns averaged) minus the gold's at the matching moment, step by step."""
        cols = [ANGLE_INDEX[c] for c in columns]
        reference = gold["template"][self.match][:, cols].mean(axis=1)
        if columns == ("trunk_inclination",):
            reference = _expected_lean_curve(r.curve, gold["template"][self.match], reference)
        return r.curve[:, cols].mean(axis=1) - reference

    def in_phase(self, diff: np.ndarray, phase: str, typical: bool = False) -> float | None:
        """How far `diff` (one value per step of the rep: the user's angle against a reference) strays over
        the phase: the 80th percentile or the 20th, whichever is further from zero (a fault swells and fades
        within a phase, so its median undersells it; a single noisy step does not reach a percentile); with
        `typical`, the median. None when the rep spends under three steps in that phase."""
        inside = self.phases == phase
        if inside.sum() < 3:
            return None
        if typical:
            return float(np.median(diff[inside]))
        high, low = np.percentile(diff[inside], [80, 20])
        return float(high if abs(high) >= abs(low) else low)

    def seconds_in(self, r: RepMeasures, phase: str) -> float:
        return float((self.phases == phase).sum()) * r.seconds / STEPS


def align(r: RepMeasures, gold: dict) -> Alignment:
    match, distance = align_to_gold(r.curve, gold["template"], gold["timing_columns"])
    return Alignment(match, gold["phases"][match], distance)


# Posture faults that can show on the way down or up as well as at the turning point: (the fault when
# the angle is above the gold's, the fault when below, angle columns, tolerance in degrees as at the
# turning point). Leaning back or tucking the elbows in is not a fault.
MOVING_POSTURE = (
    (("hips_sag",), ("hips_pike",), ("body_line",), 12.0, "hip"),
    (("forward_lean", "rounded_back"), (), ("trunk_inclination",), TRUNK_TOLERANCE_MOVING, "trunk"),
    (("elbows_flare",), (), ("left_shoulder_abduction", "right_shoulder_abduction"), 14.0, "elbow"),
)


def _moving_posture(r: RepMeasures, al: Alignment, gold: dict, checks: tuple[str, ...], tol: float,
                    found: set[str], against_shins: bool = False) -> list[Finding]:
    """Faults of posture on the way into or out of the turning point, where the turning point itself was
    fine: the worse half, past the tolerance of the turning-point check and clearly worse than both the
    turning point and the rep's start (a posture held through the whole rep is not a fault of one half)."""
    out = []
    for above, below, columns, limit, joint in MOVING_POSTURE:
        above = [k for k in above if k in checks][:1]
        below = [k for k in below if k in checks][:1]
        if not (above or below) or found & set(above + below):
            continue
        shins = against_shins and "forward_lean" in above and r.shins_curve is not None
        if shins:
            # the trunk against the person's own shins, step by step (see TRUNK_TIBIA_TOLERANCE)
            diff = r.curve[:, ANGLE_INDEX["trunk_inclination"]] - r.shins_curve
            limit = TRUNK_TIBIA_TOLERANCE
            at_turn = r.angles_mid["trunk_inclination"] - r.shins_mid
        else:
            diff = al.difference(r, gold, columns)
            at_turn = float(np.mean([r.angles_mid[c] - gold["angles_mid"][c] for c in columns]))
        # The posture the person starts the rep in, against the gold's: a camera's slant or a body's own
        # build shifts every moment of the rep alike, a fault of one half does not.
        at_start = al.in_phase(diff, "start", typical=True) or 0.0
        worst = None
        for phase in ("descent", "ascent"):
            value = al.in_phase(diff, phase)
            if value is None:
                continue
            kind = (above or [None])[0] if value > 0 else (below or [None])[0]
            beyond_turn = abs(value) - (abs(at_turn) if at_turn * value > 0 else 0.0)
            beyond_start = abs(value) - (abs(at_start) if at_start * value > 0 else 0.0)
            if kind and abs(value) > limit * tol and min(beyond_start, 3 * beyond_turn) > 0.6 * limit * tol and \
                    (worst is None or abs(value) > worst[2]):
                worst = (kind, phase, abs(value))
        if worst:
            out.append(Finding(r.index, worst[0], worst[1], joint, worst[2], against="shins" if shins else ""))
    return out


def _tracking(angles: dict, side: str) -> float:
    """The knee's sideways angle off its hip-ankle line per degree of knee bend: it grows with the bend, so a
    shallower rep opens the knees less without caving."""
    return angles[f"{side}_knee_out"] / max(angles[f"{side}_knee_flexion"], 20.0)


def _knee_caving(rep: dict, gold: dict, side: str, tol: float) -> float:
    """Degrees the knee on `side` falls in past the gold's at the same bend; 0 within the tolerance."""
    past = _tracking(gold, side) * max(rep[f"{side}_knee_flexion"], 20.0) - rep[f"{side}_knee_out"]
    return past if _tracking(rep, side) < (1 - 0.5 * tol) * _tracking(gold, side) and past > 6 * tol else 0.0


def _expected_lean(angles: dict, g_mid: dict) -> float:
    """The gold's trunk lean at the turning point, scaled to this rep's knee bend (see _knee_scaled)."""
    knee = lambda a: 0.5 * (a["left_knee_flexion"] + a["right_knee_flexion"])
    return float(_knee_scaled(g_mid["trunk_inclination"], knee(angles), knee(g_mid)))


def _expected_lean_curve(curve: np.ndarray, gold: np.ndarray, lean: np.ndarray) -> np.ndarray:
    """The gold's lean `lean` at every step of a rep warped onto the gold rep, scaled the same way."""
    knees = [ANGLE_INDEX["left_knee_flexion"], ANGLE_INDEX["right_knee_flexion"]]
    return _knee_scaled(lean, curve[:, knees].mean(axis=1), gold[:, knees].mean(axis=1))


def _knee_scaled(lean, knee, gold_knee):
    """`lean` scaled by the rep's knee bend against the gold's when the exercise bends the knees (a squat
    or lunge): the deeper the squat, the further any body leans to stay balanced, so a deeper rep than
    the gold's is not told it leans."""
    if np.max(gold_knee) < 60:
        return lean
    return lean * np.maximum(knee, 20.0) / np.maximum(gold_knee, 20.0)


def compare(user: list[RepMeasures], gold: dict, watched: tuple[str, ...], checks: tuple[str, ...],
            strictness: str = "intermediate", alignments: dict[int, Alignment] | None = None,
            lean_against_shins: bool = False, margin: float = 1.0) -> list[Finding]:
    """The faults of each rep against the gold profile. `alignments` (rep index -> its warp onto the
    gold rep) saves warping again when the caller has them. `lean_against_shins`: forward lean at the
    turning point judged by the trunk-tibia rule (TRUNK_TIBIA_TOLERANCE) instead of the gold's lean.
    `margin` scales every tolerance (under 1: the reps near a limit as well)."""
    tol = STRICTNESS.get(strictness, 1.0) * margin
    findings: list[Finding] = []
    main = main_joint(gold, watched)
    durations = np.array([r.active_s for r in user]) if user else np.zeros(0)
    typical = float(np.median(durations)) if len(durations) else 0.0
    # the usual pace of each half: the person's own
    typical_into = float(np.median([r.into_s for r in user])) if user else 0.0
    typical_out = float(np.median([r.out_s for r in user])) if user else 0.0
    for r in user:
        g_mid = gold["angles_mid"]
        sides_judged = r.side_view <= SIDE_VIEW and r.seen >= SEEN_FOR_SIDES
        rep_checks = checks if sides_judged else tuple(c for c in checks if c not in LATERAL_CHECKS)
        if main and ("shallow" in rep_checks or "partial_range" in rep_checks) and gold["excursion"][main] > 20 \
                and not r.cut:
            # Short on both counts: less movement than the gold rep, and a turning point short of the gold
            # one. Either alone misleads: a clip that starts mid-rep shortens the excursion, a person's
            # own posture shifts the angles.
            way = gold["direction"][main]
            short = min(gold["travel"][main] - travel(r, main, way),
                        way * (gold["turn"][main] - turning_angle(r, main, way)))
            if short > 0.28 * tol * gold["excursion"][main]:
                kind = "shallow" if "shallow" in rep_checks else "partial_range"
                findings.append(Finding(r.index, kind, "mid", main, short))
        if "knees_cave" in rep_checks:
            # legs that alternate are held against the gold's knee of the same role, front or rear (the
            # leading leg is "left" in lead_first); the cue names the knee when only one falls in
            by_role = bool(gold.get("angles_mid_lead"))
            rep_a, gold_a = (lead_first(r.angles_mid), gold["angles_mid_lead"]) if by_role else (r.angles_mid, g_mid)
            side = min(("left", "right"), key=lambda s: _tracking(rep_a, s) - _tracking(gold_a, s))
            caving = _knee_caving(rep_a, gold_a, side, tol)
            if caving:
                other = "right" if side == "left" else "left"
                role = ("front" if side == "left" else "rear") if by_role and not _knee_caving(
                    rep_a, gold_a, other, tol) else ""
                findings.append(Finding(r.index, "knees_cave", "mid", "knee", caving, against=role))
        if "hips_sag" in rep_checks or "hips_pike" in rep_checks:
            diff = r.angles_mid["body_line"] - g_mid["body_line"]
            for value, phase in ((diff, "mid"),):
                if abs(value) > 12 * tol:
                    kind = "hips_sag" if value > 0 else "hips_pike"
                    if kind in rep_checks:
                        findings.append(Finding(r.index, kind, phase, "hip", abs(value)))
        if lean_against_shins and "forward_lean" in rep_checks:
            lean = r.angles_mid["trunk_inclination"] - r.shins_mid
            if lean > TRUNK_TIBIA_TOLERANCE * tol:
                findings.append(Finding(r.index, "forward_lean", "mid", "trunk", lean, against="shins"))
        elif "forward_lean" in rep_checks or "rounded_back" in rep_checks:
            lean = r.angles_mid["trunk_inclination"] - _expected_lean(r.angles_mid, g_mid)
            if lean > TRUNK_TOLERANCE * tol:
                kind = "rounded_back" if "rounded_back" in rep_checks else "forward_lean"
                findings.append(Finding(r.index, kind, "mid", "trunk", lean))
        if "elbows_flare" in rep_checks:
            flare = 0.5 * ((r.angles_mid["left_shoulder_abduction"] - g_mid["left_shoulder_abduction"])
                           + (r.angles_mid["right_shoulder_abduction"] - g_mid["right_shoulder_abduction"]))
            if flare > 14 * tol:    # wider than the gold rep; tucked in further is not this fault
                findings.append(Finding(r.index, "elbows_flare", "mid", "elbow", flare))
        if "asymmetric_arms" in rep_checks:
            # only a joint the exercise moves: a jumping jack's elbows barely bend, and what their two
            # sides' small ranges differ by is the tracker's noise, not one arm moving less
            for joint in [j for j in ("elbow", "shoulder") if not watched or j in watched]:
                left, right = r.side_excursion[joint]
                big = max(left, right)
                if big > 25 and abs(left - right) > 0.35 * tol * big:
                    findings.append(Finding(r.index, "asymmetric_arms", "mid", joint, abs(left - right)))
                    break
        # Rushed against the person's own usual pace (what the cue tells them), and quicker than the
        # gold rep too: a slow set's rep at the gold's pace is not rushed.
        quicker_than_gold = gold["duration"] <= 0 or r.active_s < gold["duration"]
        if "too_fast" in rep_checks and typical > 0 and quicker_than_gold and r.timed:
            # each half against the set's usual: dropping into a squat is the common way to rush
            into = r.into_s / typical_into if typical_into > 0 else 1.0
            out = r.out_s / typical_out if typical_out > 0 else 1.0
            whole_rushed = r.active_s < 0.62 / tol * typical
            if whole_rushed or min(into, out) < 0.45 / tol:
                if into < 0.7 * out:
                    phase, share = "descent", into
                elif out < 0.7 * into:
                    phase, share = "ascent", out
                else:
                    phase, share = "overall", r.active_s / typical
                # the value: how long the movement (or the rushed half) lasted against the usual (a share);
                # four times quicker than one's own pace within a set is no rep a body makes but a tracker
                # spike timed as one ("moving in 3% of your usual time")
                if share >= FASTEST_SHARE:
                    findings.append(Finding(r.index, "too_fast", phase, "tempo", share))
        if r.curve is not None and "template" in gold:
            found = {f.kind for f in findings if f.rep == r.index}
            warp = alignments[r.index] if alignments and r.index in alignments else align(r, gold)
            findings.extend(_moving_posture(r, warp, gold, rep_checks, tol, found, lean_against_shins))
    # One arm lagging also lowers the two-arm average range: report the cause, not both.
    lopsided = {f.rep for f in findings if f.kind == "asymmetric_arms"}
    findings = [f for f in findings if not (f.rep in lopsided and f.kind in ("shallow", "partial_range"))]
    # A rep that stops short is over sooner: "you rushed it" beside "you move 60 degrees less" tells the
    # range twice, the second time as a pace the person may not have had (real sets: sit-ups and pull-ups
    # told both on 15 reps).
    short = {f.rep for f in findings if f.kind in ("shallow", "partial_range")}
    return [f for f in findings if not (f.rep in short and f.kind == "too_fast")]


def rep_score(r: RepMeasures, findings: list[Finding], gold: dict, watched: tuple[str, ...] = ()) -> int:
    """0-100: full marks for a rep like the gold one, less for each fault and for range lost on the joint
    the depth checks use."""
    penalty = 25 * sum(1 for f in findings if f.rep == r.index)
    main = main_joint(gold, watched)
    if main and gold["travel"][main] > 0:
        penalty += 30 * max(0.0, 1 - travel(r, main, gold["direction"][main]) / gold["travel"][main])
    return int(round(max(0.0, 100 - penalty)))

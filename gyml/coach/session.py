"""Coach one set: choose the gold reference, compare rep by rep, and phrase the feedback."""

from __future__ import annotations

import numpy as np

from gyml.coach import gold as gold_library
from gyml.coach.align import PHASES
from gyml.coach.compare import (
    LATERAL_CHECKS,
    MONOCULAR,
    SIDE_VIEW,
    STRICTNESS,
    align,
    checks_from_gold,
    compare,
    gold_profile,
    in_phase_with_gold,
    leading_leg,
    main_joint,
    measure_reps,
    rep_score,
)
from gyml.coach.feedback import (
    cut_reps_note,
    near_limit_note,
    phrase,
    rep_list,
    unseen_feet_note,
    unseen_legs_note,
)
from gyml.coach.geometry import (
    BUILTIN_GEOMETRY_CHECKS,
    GEOMETRY_CHECKS,
    HEELS_TOLERANCE,
    fill_joints,
    geometry_findings,
    geometry_profile,
    heel_findings,
    heel_rise,
    pooled_by_side,
    rep_geometry,
)
from gyml.coach.learned import LEARNED, learned_findings, reference_levels, rep_deviations
from gyml.coach.own_reference import own_reference, unread_note
from gyml.coach.paper import paper_coach
from gyml.coach.reading import folded_reps, folded_reps_note, read_upside_down, upside_down_reps_note
from gyml.errors import GymlError
from gyml.pose.kinematics import Kinematics
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import ANGLE_NAMES
from gyml.report.analysis import ExercisePrediction, Feedback
from gyml.reps.counter import RepCount, count_reps
from gyml.synth.catalog import CATALOG

COACH_METHODS = ("gyml", "paper")
# What each check that needs the body's left-right axis judges, in the side-view note's words.
LATERAL_WORDS = {"elbows_flare": "elbow flare", "knees_cave": "knee tracking", "asymmetric_arms": "left/right balance"}


def side_view_note(unjudged: list[str], side_reps: list[int] | None = None) -> str:
    """The info line for checks a side view cannot judge: only the exercise's own ones are named.
    `side_reps`: the reps filmed from the side when the others were not (those were judged)."""
    words = [LATERAL_WORDS[c] for c in unjudged if c in LATERAL_WORDS]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    if side_reps:
        return f"{rep_list(side_reps)} filmed from the side: {listed} could not be judged on " \
               f"{'it' if len(side_reps) == 1 else 'them'} - film a set from the front as well to have " \
               f"{'it' if len(words) == 1 else 'them'} checked on every rep."
    # "as well": the side is the view most checks want (the tracking warning asks for it)
    return f"Filmed from the side: {listed} cannot be judged from this angle - film a set from the front " \
           f"as well to have {'it' if len(words) == 1 else 'them'} checked."


def coach_faults(label: str) -> tuple[str, ...]:
    """Every fault the coach can name for a catalog exercise, read from the checks the coach runs, so a
    listing cannot fall behind them: a hold's posture checks (gyml.coach.holds); for reps, the catalog's
    own (gyml.synth.catalog), those learned for real video (gyml.coach.learned) and those measured against
    the person's own gold (gyml.coach.geometry). Warnings (fatigue) are not faults and are left out."""
    from gyml.coach.holds import checks_for, is_hold

    if is_hold(label):
        faults = [check.fault for check in checks_for(label)[1]]
    else:
        spec = CATALOG.get(label)
        learned = [kind for kind, tolerance in LEARNED.get(label, {}).items() if tolerance is not None]
        faults = [*(spec.faults if spec else ()), *learned, *GEOMETRY_CHECKS.get(label, ())]
    return tuple(dict.fromkeys(faults))


# Off only to measure the rule it replaced (benchmarks/coach_squat_lean.py).
LEAN_AGAINST_SHINS = True
# Form withheld on the reps read upside down or with a body line read folded (gyml/coach/reading.py); off only
# to measure them (benchmarks/reading_check.py).
PER_REP_READING = True

# Praise keeps a margin: a rep within a fifth of a depth or range limit is said to be near it, not praised.
NEAR_LIMIT = 0.8
RANGE_KINDS = ("shallow", "partial_range", "not_low_enough")


def coach_session(seq: PoseSequence, reps: RepCount, prediction: ExercisePrediction | None,
                  gold: PoseSequence | None = None, method: str = "gyml", strictness: str = "intermediate",
                  kinematics: Kinematics | None = None, gold_reps: RepCount | None = None
                  ) -> tuple[list[Feedback], dict]:
    """Feedback on every counted rep against the gold reference, and the per-rep metrics. `kinematics`:
    those of `seq`, and `gold_reps`: the gold's count, when already made."""
    if method not in COACH_METHODS:
        raise GymlError(f"unknown coach '{method}' (choose from {', '.join(COACH_METHODS)})")
    exercise = prediction.label if prediction is not None else None
    if gold is None and exercise:
        gold = gold_library.find(exercise)
    # A recording of a real body (the user's own) is judged in centimetres too; the built-in textbook
    # rep is not a body to measure stance or hip height against, so then the set is its own reference.
    own_gold = gold is not None and not gold_library.is_builtin(gold)
    if gold is None or not reps.segments:
        return [], {}
    if method == "paper":
        feedback, extras = _paper(seq, reps, gold, kinematics)
        if "coach" in extras and "gold" in gold.metadata:
            extras["coach"]["gold"] = gold.metadata["gold"]
        return feedback, extras
    gold_kinematics = Kinematics(gold)
    gold_reps = gold_reps if gold_reps is not None else count_reps(gold, kinematics=gold_kinematics)
    if not gold_reps.segments:
        raise GymlError("the gold reference has no repetitions to compare with")
    spec = CATALOG.get(exercise or "")
    gold_angles = gold_kinematics.angles
    rest = None
    if spec is not None and spec.alternate:
        # The gold set opens at rest (built-in ones by construction; a recorded one should too).
        rest = gold_angles[int(np.argmax(gold.present))]
    gold_m = measure_reps(gold, gold_reps, rest_pose=rest, kinematics=gold_kinematics)
    kinematics = Kinematics.of(seq, kinematics)
    if rest is None:  # reps that open at their turning point are coached from where the gold's open
        reps = in_phase_with_gold(reps, kinematics.angles, gold_angles, gold_m, spec.moving if spec else ())
    user_m = measure_reps(seq, reps, rest_pose=rest, kinematics=kinematics)
    profile = gold_profile(gold_m)
    checks, watched = (spec.faults, spec.moving) if spec else checks_from_gold(gold_m, profile)
    warps = {r.index: align(r, profile) for r in user_m}
    # The built-in squat is a textbook rep, not a body: a real squatter's lean is judged against their own
    # shins (the trunk-tibia rule). A lunge's legs part, so it keeps the reference's lean.
    against_shins = LEAN_AGAINST_SHINS and not own_gold and spec is not None and not spec.alternate
    findings = compare(user_m, profile, watched, checks, strictness, warps, lean_against_shins=against_shins)
    tol = STRICTNESS.get(strictness, 1.0)
    deviations, unread = None, []
    if not own_gold and seq.source in MONOCULAR and exercise in LEARNED:
        # A real body on video against the textbook one: tolerances learned from labelled real clips
        # replace the textbook ones (see gyml/coach/learned.py).
        joints = fill_joints(seq.joints, seq.confidence)
        reference = reference_levels(gold_angles, gold.joints)
        main = main_joint(profile, watched)
        angles = kinematics.angles
        deviations = rep_deviations(angles, joints, user_m, reference, profile, main, seq.confidence)
        findings = learned_findings(user_m, deviations, LEARNED[exercise], tol,
                                    profile["travel"].get(main, 0.0) if main else 0.0)
    geometry_checks = GEOMETRY_CHECKS.get(exercise or "", ()) if own_gold else \
        BUILTIN_GEOMETRY_CHECKS.get(exercise or "", ())
    findings += _geometry(seq, user_m, gold, gold_m, geometry_checks, findings, tol, pooled=not own_gold)
    near: list[int] = []
    if deviations is None:
        # A rep just inside a depth or range limit, in a set told it on its other reps, was praised as
        # "good form, matching the reference" (a set 30 degrees short throughout, told on 17 of 26 reps):
        # praise keeps a margin from the limits, and such reps are said to be near them instead.
        nearly = compare(user_m, profile, watched, checks, strictness, warps, lean_against_shins=against_shins,
                         margin=NEAR_LIMIT)
        nearly += _geometry(seq, user_m, gold, gold_m, geometry_checks, [], tol * NEAR_LIMIT, pooled=not own_gold)
        told = {f.rep for f in findings if f.kind in RANGE_KINDS}
        near = sorted({f.rep for f in nearly if f.kind in RANGE_KINDS} - told)
    if not own_gold:
        posture = "body_line" if spec is not None and spec.posture == "prone" else "trunk_inclination"
        own = own_reference(user_m, main_joint(profile, watched), posture, tol,
                            inverted=spec is not None and spec.posture == "inverted",
                            alternate=spec is not None and spec.alternate)
        findings += own.findings
        unread = own.unread
    unseen_feet: list[int] = []
    if "heels_rise" in checks:
        heels, unseen_feet = _heels(seq, user_m, gold, gold_m, own_gold, tol)
        findings += heels
    flipped = read_upside_down(user_m, spec.posture if spec is not None else None) if PER_REP_READING else []
    if flipped:
        # form cues on such reps are about the wrong limbs ("one arm moves 93° less than the other"): withheld
        findings = [f for f in findings if f.rep not in flipped]
        unread = [r for r in unread if r not in flipped]
    folded = folded_reps(findings) if PER_REP_READING else []   # the flipped reps' findings are gone already
    if folded:
        # "hips sag 125°" is no body doing the exercise: the reading of the rep broke
        findings = [f for f in findings if f.rep not in folded]
        unread = [r for r in unread if r not in folded]
    # a rep the recording starts or ends in, more than half-way out, was judged on what was seen: not
    # praised as matching the reference whole
    cut = [r.index for r in user_m if (r.cut or not r.timed) and r.index not in set(flipped) | set(folded)]
    near = [r for r in near if r not in set(flipped) | set(folded)]
    feedback = phrase(findings, exercise, reps.count,
                      sorted(set(unread) | set(flipped) | set(folded) | set(cut) | set(near)))
    if near:
        feedback.append(Feedback(None, "overall", None, "info", near_limit_note(near), reps=near))
    if cut:
        feedback.append(Feedback(None, "overall", None, "info", cut_reps_note(cut), reps=cut))
    if flipped:
        feedback.append(Feedback(None, "overall", None, "info", upside_down_reps_note(flipped), reps=flipped))
    if folded:
        feedback.append(Feedback(None, "overall", None, "info", folded_reps_note(folded), reps=folded))
    if unread:
        # reps where fatigue would show, whose reading broke: said, rather than judged on the broken reading
        feedback.append(Feedback(None, "overall", None, "info", unread_note(unread), reps=unread))
    # the checks that ran: on video, a learned exercise's own (push-ups: no elbow flare, whatever the view)
    ran = checks if deviations is None else [c for c, t in LEARNED[exercise].items() if t is not None]
    unjudged = [c for c in ran if c in LATERAL_CHECKS]
    side = [r.index for r in user_m if r.side_view > SIDE_VIEW]
    if unjudged and side:
        # When only some reps were side-on, the others were judged: say which were not, or the note
        # contradicts an "elbows flare" cue on a rep filmed from the front.
        some = side if len(side) < len(user_m) else None
        feedback.append(Feedback(None, "overall", None, "info", side_view_note(unjudged, some), reps=side))
    if deviations and LEARNED[exercise].get("knees_bent") is not None:
        unseen = [r.index for r, d in zip(user_m, deviations) if not np.isfinite(d["knees_bent"])]
        if unseen:
            line_told = any(f.rep in unseen for f in findings if f.kind in ("hips_sag", "hips_pike"))
            feedback.append(Feedback(None, "overall", "knee", "info",
                                     unseen_legs_note(unseen, len(user_m), line_told), reps=unseen))
    if unseen_feet:
        feedback.append(Feedback(None, "overall", "feet", "info", unseen_feet_note(unseen_feet, len(user_m)),
                                 reps=unseen_feet))
    parts = charted_parts(checks, watched, side_on=len(side) == len(user_m))
    metrics = []
    withheld = set(flipped) | set(folded)
    clock = seq.frame_times()
    for i, r in enumerate(user_m):
        warp = warps[r.index]
        metrics.append({
            # a rep whose reading broke was not judged: no score, rather than a perfect one
            "rep": r.index, "score": None if r.index in withheld else rep_score(r, findings, profile, watched),
            "form_judged": r.index not in withheld,
            # the frames the coach measured the rep on (its turning point is where "at the top" is judged)
            "frames": {"start": r.start, "turn": r.mid, "end": r.end},
            # the same moments in seconds by the frames' own timestamps (where a player shows them)
            "times_s": {k: round(float(clock[min(f, len(clock) - 1)]), 2)
                        for k, f in (("start", r.start), ("turn", r.mid), ("end", r.end))},
            "range_of_motion_deg": {j: round(v, 1) for j, v in r.excursion.items()},
            "tempo_s": {"down": round(r.down_s, 2), "up": round(r.up_s, 2)},
            # what a rushed rep is judged on: the seconds spent more than half-way out, into the turning
            # point and out of it (a rep's rests and pauses at the ends are not its pace)
            "active_s": {"into": round(r.into_s, 2), "out": round(r.out_s, 2)},
            # time in each phase of the gold rep, from the rep warped onto it
            "phase_s": {p: round(warp.seconds_in(r, p), 2) for p in PHASES},
            "gold_distance_deg": round(warp.distance, 1),
            "deviation_deg": deviation_by_part(r, profile, warp, parts),
            "symmetry": {j: round(1 - abs(a - b) / max(a, b, 1e-6), 3) for j, (a, b) in r.side_excursion.items()},
            "faults": [f.kind for f in findings if f.rep == r.index and f.severity == "fault"],
            "fault_phases": {f.kind: f.phase for f in findings if f.rep == r.index and f.severity == "fault"},
            "warnings": [f.kind for f in findings if f.rep == r.index and f.severity == "warn"],
            # each fault's and warning's size on this rep, in its cue's unit (a grouped cue gives their mean)
            "fault_values": {f.kind: round(float(f.value), 2) for f in findings
                             if f.rep == r.index and f.severity in ("fault", "warn")},
            # a check not judged on this rep (its joints unseen) is null
            **({"deviations": {k: round(v, 3) if np.isfinite(v) else None for k, v in deviations[i].items()}}
               if deviations else {}),
        })
    reference = "own gold" if own_gold else "built-in, and the set's own best reps"
    coach = {"method": "gyml", "strictness": strictness, "reference": reference}
    if deviations:
        # the learned checks' limits at this strictness, so a report can show each rep against them
        coach["video_limits"] = {k: round(v * tol, 1) for k, v in LEARNED[exercise].items() if v is not None}
    if "gold" in gold.metadata:
        coach["gold"] = gold.metadata["gold"]
    return feedback, {"rep_metrics": metrics, "coach": coach}


def _geometry(seq, user_m, gold, gold_m, checks: tuple[str, ...], findings, tol, pooled: bool = False) -> list:
    """Hip height, feet apart and sway (those of `checks`) against the gold, in centimetres of the person's
    body; a rep already told it is shallow (in degrees) is not told again in centimetres. `pooled`: each
    leg's typical rep is judged (a textbook gold: geometry.BUILTIN_GEOMETRY_CHECKS)."""
    if not checks or gold is None or not gold_m or not user_m:
        return []
    profile = geometry_profile(rep_geometry(gold.joints, gold.confidence, [(r.index, r.start, r.end) for r in gold_m]))
    user = rep_geometry(seq.joints, seq.confidence, [(r.index, r.start, r.end) for r in user_m])
    if pooled:
        user = pooled_by_side(user, [leading_leg(r.angles_mid) for r in user_m])
    shallow = {f.rep for f in findings if f.kind in ("shallow", "partial_range")}
    return [f for f in geometry_findings(user, profile, checks, tol)
            if not (f.kind == "not_low_enough" and f.rep in shallow)]


def _heels(seq, user_m, gold, gold_m, own_gold, tol) -> tuple[list, list[int]]:
    """`heels_rise` findings (gyml/coach/geometry.py heel_rise): each rep's rise against the person's own
    standing frames, or with their own gold against the gold reps' median rise (0 when the gold's feet were
    not seen); and the reps not judged because no foot was seen. A rep the recording cuts before its turning
    point is not judged (its bottom is unknown)."""
    judged = [r for r in user_m if not r.cut]
    rises, leg = heel_rise(seq.joints, seq.confidence, [(r.index, r.start, r.end) for r in judged])
    reference, against = 0.0, ""
    if own_gold:
        known = [x for x in heel_rise(gold.joints, gold.confidence, [(r.index, r.start, r.end) for r in gold_m])[0]
                 if x is not None]
        gold_rise = float(np.median(known)) if known else 0.0
        # a gold whose heels rise less than half the tolerance keeps them down (the rest is the pose model's
        # reading of feet at the bottom, as in the synthesised foot that tips with the shin): the person is
        # then held to their own standing, as without a gold; a gold that rises more (a squat on raised
        # heels) lends its rise as the allowance
        if gold_rise > HEELS_TOLERANCE / 2:
            reference, against = gold_rise, "gold"
    findings = heel_findings(rises, [r.index for r in judged], leg, reference, tol, against)
    return findings, [r.index for r, x in zip(judged, rises) if x is None]


# Body parts of the per-rep deviation chart: the joint angles each is read from (sides averaged).
BODY_PARTS = {"knee": ("left_knee_flexion", "right_knee_flexion"), "hip": ("left_hip_flexion", "right_hip_flexion"),
              "knee_tracking": ("left_knee_out", "right_knee_out"),
              "elbow": ("left_elbow_flexion", "right_elbow_flexion"),
              "shoulder": ("left_shoulder_elevation", "right_shoulder_elevation"),
              "trunk": ("trunk_inclination",), "body_line": ("body_line",)}


# The checks that judge a body part beside the joints the exercise moves (charted_parts).
PART_CHECKS = {"knee": ("knees_bent",), "elbow": ("elbows_flare",), "trunk": ("forward_lean", "rounded_back"),
               "body_line": ("hips_sag", "hips_pike"), "knee_tracking": ("knees_cave",)}


def charted_parts(checks: tuple[str, ...], watched: tuple[str, ...], side_on: bool) -> set[str]:
    """The body parts the set is coached on, for the per-rep deviation chart: the joints the exercise
    moves and those its checks judge; knee tracking not from the side, where it is not judged. A lunge's
    chart showed "knee tracking" filmed from the side and a dark "body line" row that no lunge check reads."""
    parts = {p for p in BODY_PARTS if p in watched or set(PART_CHECKS.get(p, ())) & set(checks)}
    return parts - {"knee_tracking"} if side_on else parts


def deviation_by_part(r, profile: dict, warp, parts) -> dict:
    """Degrees each of `parts` strays from the gold, per rep: the larger of the gap at the turning point
    and the typical large gap (80th percentile) along the rep warped onto the gold rep. (The warp alone
    matches a shallow rep's bottom to the gold's half-way point and hides the missing depth; the turning
    point alone misses a fault on the way down or up.)"""
    gold = profile["template"][warp.match]
    out = {}
    for part, names in BODY_PARTS.items():
        if part not in parts:
            continue
        cols = [ANGLE_NAMES.index(n) for n in names]
        along = float(np.percentile(np.abs(r.curve[:, cols] - gold[:, cols]).mean(axis=1), 80))
        at_turn = float(np.mean([abs(r.angles_mid[n] - profile["angles_mid"][n]) for n in names]))
        out[part] = round(max(along, at_turn), 1)
    return out


def _paper(seq, reps, gold, kinematics=None) -> tuple[list[Feedback], dict]:
    result = paper_coach(seq, reps, gold, kinematics=kinematics)
    if result is None:
        return [], {}
    words = {"start": "your starting position needs work", "mid": "your midpoint position needs work"}
    feedback = [Feedback(rep, phase, None, "fault", f"Rep {rep}: {words[phase]}.", reps=[rep], kind=f"{phase}_pose")
                for rep, phase in result.flagged]
    return feedback, {"coach": {"method": "paper", **result.to_dict()}}

"""Coach one set: choose the gold reference, compare rep by rep, and phrase the feedback."""

from __future__ import annotations

import numpy as np

from gyml.coach import gold as gold_library
from gyml.coach.align import PHASES
from gyml.coach.compare import (
    LATERAL_CHECKS,
    SIDE_VIEW,
    align,
    compare,
    gold_profile,
    measure_reps,
    rep_score,
)
from gyml.coach.feedback import phrase
from gyml.coach.paper import paper_coach
from gyml.errors import GymlError
from gyml.pose.sequence import PoseSequence
from gyml.report.analysis import ExercisePrediction, Feedback
from gyml.reps.counter import RepCount, count_reps
from gyml.reps.signal import angle_table
from gyml.synth.catalog import CATALOG
from gyml.synth.faults import FAULTS

COACH_METHODS = ("gyml", "paper")
SIDE_VIEW_NOTE = ("Filmed from the side: elbow flare, knee tracking and left/right balance cannot be judged "
                  "from this angle - film from the front to have them checked.")


def coach_session(seq: PoseSequence, reps: RepCount, prediction: ExercisePrediction | None,
                  gold: PoseSequence | None = None, method: str = "gyml", strictness: str = "intermediate"
                  ) -> tuple[list[Feedback], dict]:
    if method not in COACH_METHODS:
        raise GymlError(f"unknown coach '{method}' (choose from {', '.join(COACH_METHODS)})")
    exercise = prediction.label if prediction is not None else None
    if gold is None and exercise:
        gold = gold_library.find(exercise)
    if gold is None or not reps.segments:
        return [], {}
    if method == "paper":
        feedback, extras = _paper(seq, reps, gold)
        if "coach" in extras and "gold" in gold.metadata:
            extras["coach"]["gold"] = gold.metadata["gold"]
        return feedback, extras
    gold_reps = count_reps(gold)
    if not gold_reps.segments:
        raise GymlError("the gold reference has no repetitions to compare with")
    spec = CATALOG.get(exercise or "")
    gold_angles = angle_table(gold)
    rest = None
    if spec is not None and spec.alternate:
        # The gold set opens at rest (built-in ones by construction; a recorded one should too).
        rest = gold_angles[int(np.argmax(gold.present))]
    user_m = measure_reps(seq, reps, rest_pose=rest)
    profile = gold_profile(measure_reps(gold, gold_reps, gold_angles, rest_pose=rest))
    checks = spec.faults if spec else tuple(FAULTS)
    watched = spec.moving if spec else ()
    warps = {r.index: align(r, profile) for r in user_m}
    findings = compare(user_m, profile, watched, checks, strictness, warps)
    feedback = phrase(findings, exercise, reps.count)
    unjudged = [c for c in checks if c in LATERAL_CHECKS]
    if unjudged and any(r.side_view > SIDE_VIEW for r in user_m):
        feedback.append(Feedback(None, "overall", None, "info", SIDE_VIEW_NOTE))
    metrics = []
    for r in user_m:
        warp = warps[r.index]
        metrics.append({
            "rep": r.index, "score": rep_score(r, findings, profile, watched),
            "range_of_motion_deg": {j: round(v, 1) for j, v in r.excursion.items()},
            "tempo_s": {"down": round(r.down_s, 2), "up": round(r.up_s, 2)},
            # time in each phase of the gold rep, from the rep warped onto it
            "phase_s": {p: round(warp.seconds_in(r, p), 2) for p in PHASES},
            "gold_distance_deg": round(warp.distance, 1),
            "symmetry": {j: round(1 - abs(a - b) / max(a, b, 1e-6), 3) for j, (a, b) in r.side_excursion.items()},
            "faults": [f.kind for f in findings if f.rep == r.index],
            "fault_phases": {f.kind: f.phase for f in findings if f.rep == r.index},
        })
    coach = {"method": "gyml", "strictness": strictness}
    if "gold" in gold.metadata:
        coach["gold"] = gold.metadata["gold"]
    return feedback, {"rep_metrics": metrics, "coach": coach}


def _paper(seq, reps, gold) -> tuple[list[Feedback], dict]:
    result = paper_coach(seq, reps, gold)
    if result is None:
        return [], {}
    words = {"start": "your starting position needs work", "mid": "your midpoint position needs work"}
    feedback = [Feedback(rep, phase, None, "fault", f"Rep {rep}: {words[phase]}.") for rep, phase in result.flagged]
    return feedback, {"coach": {"method": "paper", **result.to_dict()}}

"""The person as their own reference: each rep against the person's own best reps of the set.

Without a recording of their own to compare with, a person is still their own best reference for how
a set wears on: reps that get shallower, slower or looser in posture than the best ones of the same set
show fatigue, whatever the textbook says about depth. The best reps are the deepest third of the set
(at least two); each rep is compared with their median:
- depth: the main joint's travel (degrees) falls short by more than a fifth;
- tempo: the rep takes more than 1.5 times as long (grinding it out);
- posture drift: the trunk leans (standing) or the body line bends (lying) more than 12 degrees further.
These are warnings about the set, not faults against a reference: they never make a rep "wrong".
Fatigue is how a set ends, so a kind is told only for the reps of the set's closing run (`closing_run`),
among the reps after the last of the best ones:
a rep short of the best ones at the start or in the middle of a set, followed by reps as good as the best,
is a warm-up or a one-off (the built-in reference judges those), not fatigue.
"""

from __future__ import annotations

import numpy as np

from gyml.coach.compare import Finding, RepMeasures, _direction, travel

DEPTH_LOSS = 0.2       # share of the best reps' travel
SLOWER = 1.5           # times the best reps' duration
POSTURE_DRIFT = 12.0   # degrees
MIN_REPS = 4
CLOSING_SHARE = 2 / 3  # of the closing run's reps that fall behind the best ones
CLOSING_REPS = 2       # at least this many of them
AFTER_LAST_BEST = True  # off only to measure the rule before it (benchmarks/fatigue_warnings.py)


def own_reference_findings(reps: list[RepMeasures], main: str | None, posture: str,
                           tol: float = 1.0) -> list[Finding]:
    """Warnings for reps that fall behind the set's own best reps. `main` is the joint depth is read
    on (as in compare.main_joint); `posture` the angle column whose growth is a posture fault
    ("trunk_inclination" standing, "body_line" lying)."""
    if len(reps) < MIN_REPS or main is None:
        return []
    way = _direction(reps, main)
    depth = np.array([travel(r, main, way) for r in reps])
    if depth.max() < 20:   # too little movement to speak of depth or drift
        return []
    best = np.argsort(-depth)[:max(2, len(reps) // 3)]
    ref_depth = float(np.median(depth[best]))
    ref_time = float(np.median([reps[i].active_s for i in best]))
    ref_posture = float(np.median([reps[i].angles_mid[posture] for i in best]))
    out = []
    for r, d in zip(reps, depth):
        loss = 1.0 - d / ref_depth
        if loss > DEPTH_LOSS * tol:
            out.append(Finding(r.index, "shallower_than_best", "mid", main, 100 * loss, severity="warn"))
        if ref_time > 0 and r.active_s > SLOWER * tol * ref_time:
            out.append(Finding(r.index, "slower_than_best", "overall", "tempo", r.active_s / ref_time,
                               severity="warn"))
        drift = r.angles_mid[posture] - ref_posture
        if drift > POSTURE_DRIFT * tol:
            joint = "trunk" if posture == "trunk_inclination" else "hip"
            out.append(Finding(r.index, "posture_drift", "mid", joint, drift, severity="warn"))
    # Fatigue falls away from the set's best: only the reps after the last of the best ones can show it.
    # (A set whose best reps are a scattered few, its last rep among them, has no fatigue to tell;
    # without this a run covering the whole set told its first rep "fatigue shows".)
    order = [r.index for r in reps][int(best.max()) + 1 if AFTER_LAST_BEST else 0:]
    behind: dict[str, set[int]] = {}
    for f in out:
        behind.setdefault(f.kind, set()).add(f.rep)
    kept = {kind: closing_run([i in reps_behind for i in order], order) for kind, reps_behind in behind.items()}
    return [f for f in out if f.rep in kept[f.kind]]


def closing_run(behind: list[bool], order: list[int]) -> set[int]:
    """The reps (of `order`, the set's reps in time) behind the best ones that end the set: the longest
    run of the set's last reps of which at least CLOSING_SHARE, and CLOSING_REPS or more, are behind."""
    flags = np.asarray(behind, bool)
    for k in range(len(flags)):
        tail = flags[k:]
        if tail.sum() >= CLOSING_REPS and tail.mean() >= CLOSING_SHARE:
            return {order[i] for i in range(k, len(flags)) if flags[i]}
    return set()

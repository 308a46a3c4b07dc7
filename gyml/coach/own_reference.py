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

Only reps whose body was read plausibly (`read_plausibly`) are compared, or can be among the best: a rep the
tracker lost for more than a fifth of its frames, or read upside down at its start or turning point, is a
broken reading, not a tired body (RepCount's stu1_59, a sit-up whose tracking breaks in its last reps, was
told "your posture drifts 153 degrees"). Such reps after the last of the best ones, where fatigue would
show, are named (`OwnReference.unread`) so the report can say why they are not judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gyml.coach.compare import (
    SEEN_FOR_SIDES,
    Finding,
    RepMeasures,
    _active_side,
    _direction,
    leading_leg,
    travel,
)
from gyml.coach.reading import upside_down_at_ends

DEPTH_LOSS = 0.2       # share of the best reps' travel
SLOWER = 1.5           # times the best reps' duration
POSTURE_DRIFT = 12.0   # degrees
MIN_REPS = 4
CLOSING_SHARE = 2 / 3  # of the closing run's reps that fall behind the best ones
CLOSING_REPS = 2       # at least this many of them
AFTER_LAST_BEST = True  # off only to measure the rule before it (benchmarks/fatigue_warnings.py)
# A rep is read plausibly when the body was found in at least this share of its frames (as for the sided
# checks, compare.SEEN_FOR_SIDES)...
SEEN = SEEN_FOR_SIDES
# ...and, for an exercise not done upside down, its trunk is read within UPSIDE_DOWN_DEG of upright at the
# rep's start and turning point (gyml/coach/reading.py: no upright, lying, seated or hanging exercise holds
# the head that far below the hips). Off only to measure the rule before it (benchmarks/fatigue_warnings.py).
READING_CHECK = True


@dataclass
class OwnReference:
    findings: list[Finding] = field(default_factory=list)
    unread: list[int] = field(default_factory=list)  # reps after the last best one not read plausibly


def read_plausibly(r: RepMeasures, inverted: bool = False) -> bool:
    """Was the rep's body read as a body doing the exercise: found in at least SEEN of its frames and, unless
    the exercise is done upside down (`inverted`), not read upside down at its start or turning point?"""
    if r.seen < SEEN:
        return False
    return inverted or not upside_down_at_ends(r)


def own_reference(reps: list[RepMeasures], main: str | None, posture: str, tol: float = 1.0,
                  inverted: bool = False, alternate: bool = False) -> OwnReference:
    """Warnings for reps that fall behind the set's own best reps, and the reps after the last best one
    that were not compared for not being read plausibly. `main` is the joint depth is read on (as in
    compare.main_joint); `posture` the angle column whose growth is a posture fault ("trunk_inclination"
    standing, "body_line" lying); `inverted`: the exercise is done upside down; `alternate`: the sides take
    turns (a lunge), and each rep's depth is held to the best reps of its own side (see `_sides_apart`)."""
    everyone = reps
    if READING_CHECK:
        reps = [r for r in reps if read_plausibly(r, inverted)]
    if len(reps) < MIN_REPS or main is None:
        return OwnReference()
    way = _direction(reps, main)
    depth = np.array([travel(r, main, way) for r in reps])
    if depth.max() < 20:   # too little movement to speak of depth or drift
        return OwnReference()
    best = np.argsort(-depth)[:max(2, len(reps) // 3)]
    ref_time = float(np.median([reps[i].active_s for i in best]))
    ref_posture = float(np.median([reps[i].angles_mid[posture] for i in best]))
    # depth against the best reps of the rep's own side where the sides take turns (`_sides_apart`)
    ref_depth = np.zeros(len(reps))
    for g in _sides_apart(reps, main, way) if alternate else [np.arange(len(reps))]:
        ref_depth[g] = np.median(np.sort(depth[g])[::-1][:max(2, len(g) // 3)])
    out = []
    for i, (r, d) in enumerate(zip(reps, depth)):
        loss = 1.0 - d / ref_depth[i]
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
    last_best = reps[int(best.max())].index
    compared = {r.index for r in reps}
    unread = [r.index for r in everyone if r.index > last_best and r.index not in compared]
    return OwnReference([f for f in out if f.rep in kept[f.kind]], unread)


def _sides_apart(reps: list[RepMeasures], main: str, way: float) -> list[np.ndarray]:
    """The positions of `reps` by the side leading each: a lunge set led by the right leg for five reps and
    the left for six compared the left leg's reps, some 20% shallower in a good real take, with the right
    leg's best and told them "fatigue shows". The leading leg is compare.leading_leg (the more bent hip at
    the turning point: both knees bend in a lunge); an arm, the side whose `main` joint travels further.
    A side with fewer than MIN_REPS // 2 reps joins the other: too few to have best reps of its own."""
    if main in ("knee", "hip"):
        side = np.array([leading_leg(r.angles_mid) for r in reps])
    else:
        side = np.array([_active_side(r, main, way) or "" for r in reps])
    groups = [np.flatnonzero(side == s) for s in np.unique(side)]
    if len(groups) < 2 or min(len(g) for g in groups) < MIN_REPS // 2:
        return [np.arange(len(reps))]
    return groups


def unread_note(reps: list[int]) -> str:
    """The info line for reps after the set's best ones that were not compared with them (`OwnReference.unread`)."""
    from gyml.coach.feedback import rep_list

    it = "it" if len(reps) == 1 else "them"
    return (f"{rep_list(reps)}: the body was not read clearly (lost for part of the rep, or read upside down), "
            f"so fatigue is not judged on {it} - film with the whole body in view.")


def closing_run(behind: list[bool], order: list[int]) -> set[int]:
    """The reps (of `order`, the set's reps in time) behind the best ones that end the set: the longest
    run of the set's last reps of which at least CLOSING_SHARE, and CLOSING_REPS or more, are behind."""
    flags = np.asarray(behind, bool)
    for k in range(len(flags)):
        tail = flags[k:]
        if tail.sum() >= CLOSING_REPS and tail.mean() >= CLOSING_SHARE:
            return {order[i] for i in range(k, len(flags)) if flags[i]}
    return set()

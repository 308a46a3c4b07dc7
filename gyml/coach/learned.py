"""Tolerances learned from labelled real videos, for coaching monocular video against the built-in
reference.

The built-in reference is a textbook body; a real body filmed by one camera differs from it in ways no
fault explains (monocular depth bends the body line, people hold their legs and head their own way),
so the textbook tolerances flag correct reps. Here each rep's deviations from the reference are taken
over the whole rep (not one frame), and the tolerance of each check is learned from real clips labelled
correct or wrong: the one that separates them best on the training clips. The knees are read on the
leg the camera sees (one camera sees the near leg; the far one is a guess), and not at all where neither
leg is seen (legs out of the picture): a knee bend guessed for an unseen leg flagged correct clips. A
check whose tolerance is None is not used for that exercise on video.

The shipped push-up tolerances are scaled by a population of ordinary push-ups that are not the labelled
clips (UCF101's and our other videos' push-ups): each check's tolerance is the same percentile (one share)
of that population's rep deviations (`population_tolerances`), so the labelled clips set only that one
share (`fit_share`), not one tolerance per check; benchmarks/coach_pushup_population.py learns it and
validates it by person. `fit_tolerances` (one tolerance per check, learned from the labelled clips
alone) was the earlier learner; benchmarks/coach_real.py still measures it.
"""

from __future__ import annotations

import numpy as np

from gyml.coach.compare import Finding, RepMeasures, travel
from gyml.pose.skeleton import ANGLE_NAMES, JOINT

# A leg is seen in a frame when its hip, knee and ankle are all at least this sure; a rep's knee bend is
# judged only when a leg is seen in at least SEEN_SHARE of its frames (and three of them).
SEEN = 0.5
SEEN_SHARE = 0.3
# The percentile over a rep's frames a held fault is read at: a few noisy frames do not reach it, a
# fault held through a part of the rep does.
HELD = 90

A = {n: i for i, n in enumerate(ANGLE_NAMES)}
KINDS = ("hips_sag", "hips_pike", "knees_bent", "head_dropped", "shallow", "elbows_flare")
PHASE = {"hips_sag": "overall", "hips_pike": "overall", "knees_bent": "overall", "head_dropped": "overall",
         "shallow": "mid", "elbows_flare": "mid"}
JOINTS = {"hips_sag": "hip", "hips_pike": "hip", "knees_bent": "knee", "head_dropped": "head",
          "shallow": "elbow", "elbows_flare": "elbow"}

# Degrees beyond the reference (depth: share of the reference's range missing). Push-ups: the 57th
# percentile of the rep deviations of 41 ordinary push-up clips (UCF101's PushUps and our other push-up
# videos), the share learned on ../shared/data/videos/pushup_form (40 clips) by `fit_share`, for the
# three checks its README names; reproduced by benchmarks/coach_pushup_population.py. (Learned per check by
# `fit_tolerances` before: sag 9.0, knees 19.0, head 26.6.)
LEARNED: dict[str, dict[str, float | None]] = {
    "push_up": {"hips_sag": 8.9, "hips_pike": None, "knees_bent": 17.4, "head_dropped": 28.4, "shallow": None,
                "elbows_flare": None},
}
# The checks the population-scaled tolerances are set for (those pushup_form's README names), and the
# shares (percentiles of the population) `fit_share` chooses among.
POPULATION_CHECKS = ("hips_sag", "knees_bent", "head_dropped")
SHARES = tuple(np.arange(50.0, 100.0, 0.5))


def head_angle(joints: np.ndarray) -> np.ndarray:
    """(T,) degrees between the trunk (pelvis -> neck) and the neck -> head line: 0 = head in line."""
    trunk = joints[:, JOINT["neck"]] - joints[:, JOINT["pelvis"]]
    head = joints[:, JOINT["head"]] - joints[:, JOINT["neck"]]
    cos = np.einsum("ti,ti->t", trunk, head) / np.maximum(
        np.linalg.norm(trunk, axis=-1) * np.linalg.norm(head, axis=-1), 1e-9)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def reference_levels(angles: np.ndarray, joints: np.ndarray) -> dict:
    """The reference set's body line, knee bend and head angle (medians over its frames)."""
    knees = 0.5 * (angles[:, A["left_knee_flexion"]] + angles[:, A["right_knee_flexion"]])
    return {"body_line": float(np.median(angles[:, A["body_line"]])), "knee": float(np.median(knees)),
            "head": float(np.median(head_angle(joints)))}


def seen_knee_flexion(angles: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """(T,) knee bend of the leg the camera sees better in each frame; NaN where neither leg is seen."""
    sure = {side: np.min(confidence[:, [JOINT[f"{side}_{j}"] for j in ("hip", "knee", "ankle")]], axis=1)
            for side in ("left", "right")}
    left_better = sure["left"] >= sure["right"]
    knee = np.where(left_better, angles[:, A["left_knee_flexion"]], angles[:, A["right_knee_flexion"]])
    return np.where(np.maximum(sure["left"], sure["right"]) >= SEEN, knee, np.nan)


def _held(values: np.ndarray, q: float = HELD) -> float | None:
    """The q-th percentile of the values that are known, None when too few are."""
    known = values[np.isfinite(values)]
    if len(known) < max(3, SEEN_SHARE * len(values)):
        return None
    return float(np.percentile(known, q))


def rep_deviations(angles: np.ndarray, joints: np.ndarray, reps: list[RepMeasures], reference: dict,
                   gold: dict, main: str | None, confidence: np.ndarray | None = None,
                   held: float = HELD) -> list[dict]:
    """For each rep, how far it strays from the reference in each of KINDS (larger = worse): the `held`
    percentile over the rep's frames (100 - `held` for a pike). With `confidence`, the knees are read on the
    leg the camera sees; a rep where no leg is seen gets -inf there (not judged)."""
    if confidence is None:
        knees = 0.5 * (angles[:, A["left_knee_flexion"]] + angles[:, A["right_knee_flexion"]])
    else:
        knees = seen_knee_flexion(angles, confidence)
    head = head_angle(joints)
    flare = 0.5 * (angles[:, A["left_shoulder_abduction"]] + angles[:, A["right_shoulder_abduction"]])
    gold_flare = 0.5 * (gold["angles_mid"]["left_shoulder_abduction"]
                        + gold["angles_mid"]["right_shoulder_abduction"])
    out = []
    for r in reps:
        span = slice(r.start, r.end + 1)
        line = angles[span, A["body_line"]]
        knee = _held(knees[span], held)
        dev = {"hips_sag": float(np.percentile(line, held)) - reference["body_line"],
               "hips_pike": reference["body_line"] - float(np.percentile(line, 100 - held)),
               "knees_bent": -np.inf if knee is None else knee - reference["knee"],
               "head_dropped": float(np.percentile(head[span], held)) - reference["head"],
               "elbows_flare": float(flare[r.mid]) - gold_flare,
               "shallow": 0.0}
        if main and gold["travel"].get(main, 0) > 0:
            dev["shallow"] = 1.0 - travel(r, main, gold["direction"][main]) / gold["travel"][main]
        out.append(dev)
    return out


def learned_findings(reps: list[RepMeasures], deviations: list[dict], tolerances: dict, tol: float = 1.0,
                     reference_range: float = 0.0) -> list[Finding]:
    """Findings where a deviation passes its tolerance; depth is told in degrees of the reference's
    range (`reference_range`)."""
    findings = []
    for r, dev in zip(reps, deviations):
        for kind, limit in tolerances.items():
            if limit is not None and dev[kind] > limit * tol:
                value = dev[kind] * reference_range if kind == "shallow" else dev[kind]
                findings.append(Finding(r.index, kind, PHASE[kind], JOINTS[kind], value))
    return findings


def _balanced_accuracy(flagged: np.ndarray, wrong: np.ndarray) -> float:
    return 0.5 * (flagged[wrong].mean() + (~flagged[~wrong]).mean())


def fit_tolerances(clip_scores: list[dict], wrong: list[bool], passes: int = 3) -> dict:
    """Tolerances for KINDS from clips labelled wrong (True) or correct: a clip is flagged when any
    kind's score (its worst rep's deviation) passes that kind's tolerance. Coordinate ascent on the
    balanced accuracy, each tolerance chosen among midpoints between the clips' scores (or off), the
    largest of equally good ones (the most forgiving); ties between kinds keep the check off."""
    wrong = np.asarray(wrong, bool)
    scores = {k: np.array([c[k] for c in clip_scores]) for k in KINDS}
    limits: dict[str, float | None] = {k: None for k in KINDS}

    def flags(lim):
        out = np.zeros(len(wrong), bool)
        for k, v in lim.items():
            if v is not None:
                out |= scores[k] > v
        return out

    best = _balanced_accuracy(flags(limits), wrong)
    for _ in range(passes):
        changed = False
        for k in KINDS:
            values = np.unique(scores[k])
            candidates = [None] + list(0.5 * (values[1:] + values[:-1]))
            for c in sorted(candidates[1:], reverse=True) + [None]:
                trial = {**limits, k: c}
                acc = _balanced_accuracy(flags(trial), wrong)
                if acc > best + 1e-9:
                    best, changed = acc, True
                    limits = {j: None if v is None else float(v) for j, v in trial.items()}
        if not changed:
            break
    return limits


def population_tolerances(population: dict[str, np.ndarray], share: float,
                          checks: tuple[str, ...] = POPULATION_CHECKS) -> dict:
    """Each of `checks` tolerated up to the `share`-th percentile of the population's rep deviations
    (`population`: kind -> the deviations of its reps; unknown ones, -inf or NaN, left out); every other
    kind of KINDS off (None)."""
    limits: dict[str, float | None] = {k: None for k in KINDS}
    for k in checks:
        known = np.asarray(population[k], float)
        known = known[np.isfinite(known)]
        if len(known):
            limits[k] = float(np.percentile(known, share))
    return limits


def fit_share(clip_scores: list[dict], wrong: list[bool], population: dict[str, np.ndarray],
              checks: tuple[str, ...] = POPULATION_CHECKS, shares: tuple[float, ...] = SHARES) -> float:
    """The one share whose population tolerances (`population_tolerances`) separate the labelled clips
    best: a clip (its scores: each kind's worst rep) is flagged when any check passes its tolerance.
    Balanced accuracy; of equally good shares the largest (the most forgiving)."""
    wrong = np.asarray(wrong, bool)

    def accuracy(share):
        limits = population_tolerances(population, share, checks)
        flags = np.array([any(v is not None and c[k] > v for k, v in limits.items()) for c in clip_scores])
        return _balanced_accuracy(flags, wrong)

    return max(shares, key=lambda share: (accuracy(share), share))

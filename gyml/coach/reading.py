"""Is the pose reading a body doing the exercise at all? A body read upside down for an exercise done upright.

MediaPipe draws a whole body in every frame it finds one. When the head or the upper body is out of the
picture (a camera cut at the chest, a log held overhead filmed from behind), it can place the "face" on the
legs and read the whole body upside down: hips at the top of the picture, "feet" above it. Counting still
follows the motion, but every form cue is then about the wrong limbs ("your trunk leans 156 degrees further
forward than the reference").

So for an exercise whose catalog posture is not upside down, a reading whose trunk points more than
UPSIDE_DOWN_DEG from upright (the head well below the hips) in most frames is not taken as that body:
the form cues are withheld and the report says why. The bound is geometry, not a fitted value: no
upright, lying, seated or hanging exercise holds the head that far below the hips. On the real recordings
(`python benchmarks/reading_check.py`) it fires on the two that MediaPipe read upside down and on none of
the other 352 recordings of exercises not done upside down; the 43 handstand push-ups are not judged.

Rep by rep (`read_upside_down`): when the set as a whole was read right, a rep whose trunk is read more than
UPSIDE_DOWN_DEG from upright at its start or turning point gets no form cue either, for exercises done
upright, hanging, seated or lying on the back. A face-down body is left out: it lies at 90 degrees, and one
camera's depth error on a push-up filmed from the front, or a decline, tips its reading past 135 while the
faults found on it are real (labelled wrong push-ups of videos/pushup_form read so are flagged rightly).
What is left out for a face-down body is a body line read folded (`folded_reps`): hips said to sag or pike
more than BODY_LINE_FOLDED degrees is no push-up or plank (with the hands on the floor and the arms under the
shoulders, the hips reach the floor well before the line bends that far), so such a rep's form is not judged
on that reading ("hips sag 125°" was told on real web push-ups whose legs the pose model lost).
"""

from __future__ import annotations

import numpy as np

from gyml.coach.feedback import article
from gyml.pose.skeleton import ANGLE_NAMES
from gyml.synth.catalog import CATALOG

UPSIDE_DOWN_DEG = 135.0   # trunk from upright: halfway between lying (90) and upside down (180)
MOST = 0.5                # of the frames with a trunk reading
TRUNK = ANGLE_NAMES.index("trunk_inclination")
BODY_LINE_FOLDED = 90.0   # degrees of sag or pike: the body line bent into a right angle or more


def upside_down_share(raw_angles: np.ndarray) -> float | None:
    """Share of the frames with a trunk reading whose trunk points more than UPSIDE_DOWN_DEG from upright
    (`raw_angles`: Kinematics.raw_angles, NaN where unseen); None when no frame has one."""
    trunk = np.asarray(raw_angles, dtype=np.float64)[:, TRUNK]
    trunk = trunk[np.isfinite(trunk)]
    return float(np.mean(trunk > UPSIDE_DOWN_DEG)) if len(trunk) else None


def upside_down_warning(exercise: str | None, raw_angles: np.ndarray) -> tuple[str | None, float | None]:
    """(plain-language warning or None, the upside-down share) for a set named `exercise`. Exercises the
    catalog does not know (a person's own) and those done upside down are never warned about."""
    spec = CATALOG.get(exercise or "")
    share = upside_down_share(raw_angles)
    if spec is None or spec.posture == "inverted" or share is None or share <= MOST:
        return None, share
    name = spec.name.lower()
    return (f"The body was read upside down in {share:.0%} of the frames, which {article(name)} {name} never is: "
            "the pose model has probably lost the head or the upper body (out of the picture or hidden). The "
            "reps are counted, but no form cues are given, as they would be about the wrong limbs. Film with "
            "the whole body in view."), share


def upside_down_at_ends(rep) -> bool:
    """Whether a rep (compare.RepMeasures) has its trunk read more than UPSIDE_DOWN_DEG from upright at its
    start or turning point."""
    return max(rep.angles_start["trunk_inclination"], rep.angles_mid["trunk_inclination"]) > UPSIDE_DOWN_DEG


def read_upside_down(reps, posture: str | None) -> list[int]:
    """The reps (compare.RepMeasures) read upside down at their start or turning point (`upside_down_at_ends`),
    for an exercise of `posture` (the catalog's) neither face down nor upside down; none for a person's own
    exercise (no posture known)."""
    if posture is None or posture in ("prone", "inverted"):
        return []
    return [r.index for r in reps if upside_down_at_ends(r)]


def upside_down_reps_note(reps: list[int]) -> str:
    """The info line for reps whose form was not judged for being read upside down."""
    from gyml.coach.feedback import rep_list

    them = "it" if len(reps) == 1 else "them"
    return (f"{rep_list(reps)}: the body was read upside down at the start or the turning point (the pose model "
            f"lost the head or the upper body), so neither form nor fatigue is judged on {them} - film with the "
            "whole body in view.")


def folded_reps(findings) -> list[int]:
    """The reps whose body line is said to sag or pike more than BODY_LINE_FOLDED degrees (compare.Finding)."""
    return sorted({f.rep for f in findings if f.kind in ("hips_sag", "hips_pike") and f.rep is not None
                   and f.value > BODY_LINE_FOLDED})


def folded_reps_note(reps: list[int]) -> str:
    """The info line for reps whose form was not judged for a body line read folded."""
    from gyml.coach.feedback import rep_list

    them = "it" if len(reps) == 1 else "them"
    return (f"{rep_list(reps)}: the body line was read bent by more than {BODY_LINE_FOLDED:.0f}° (the pose model "
            f"lost the hips or the legs), so form is not judged on {them} - film from the side with the whole body "
            "in view.")

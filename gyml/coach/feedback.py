"""Findings -> plain-language cues. Our own wording, per fault and body part."""

from __future__ import annotations

from collections import defaultdict

from gyml.coach.compare import Finding
from gyml.report.analysis import Feedback

PHASE_WORDS = {"start": "at the start", "mid": "at the bottom", "end": "at the end", "overall": "over the rep",
               "descent": "on the way down", "ascent": "on the way up"}
# Where the rep's midpoint is the top of the movement, "at the top" reads better.
TOP_MIDPOINT = {"pull_up", "front_raise", "lateral_raise", "shoulder_press", "bicep_curl", "alternate_curl",
                "jumping_jack", "clap_jack", "sit_up", "shoulder_bridge", "high_knees", "butt_kicks",
                "knee_raise_crunch", "svend_press", "chest_fly", "squat_arm_lift", "run_in_place",
                "bent_over_row", "tricep_extension", "russian_twist"}


def moment_words(exercise: str | None) -> dict[str, str]:
    """How the cues name each moment of a rep of `exercise`: PHASE_WORDS, or, where the turning point is
    the top (TOP_MIDPOINT), "at the top", with into it the way up and out of it the way down."""
    if exercise not in TOP_MIDPOINT:
        return dict(PHASE_WORDS)
    return {**PHASE_WORDS, "mid": "at the top", "descent": PHASE_WORDS["ascent"], "ascent": PHASE_WORDS["descent"]}

JOINT_WORDS = {"knee": "knees", "hip": "hips", "elbow": "elbows", "shoulder": "arms", "arm_opening": "arms",
               "trunk": "back",
               "tempo": "tempo"}

CUES = {
    "shallow": "your {joint} bend {value:.0f}° less than the reference - go deeper, under control.",
    "partial_range": "your {joint} move {value:.0f}° less than the reference - use the full range of motion.",
    "knees_cave": "your knees fall inwards - push them out over your toes.",
    "knees_cave:front": "your front knee falls inwards - push it out over your middle toes.",
    "knees_cave:rear": "your back knee falls inwards - keep it in line under your hip.",
    "hips_sag": "your hips sag {value:.0f}° below the line - brace your core and keep shoulders, hips "
                "and ankles in one line.",
    "hips_pike": "your hips rise {value:.0f}° above the line - lower them until your body is straight.",
    "rounded_back": "your back rounds ({value:.0f}° more trunk bend than the reference) - keep your chest up "
                    "and your spine neutral.",
    "forward_lean": "your trunk leans {value:.0f}° further forward than the reference - keep your chest up.",
    "forward_lean:shins": "your trunk leans {value:.0f}° further forward than your shins - keep your chest up.",
    "elbows_flare": "your elbows flare {value:.0f}° wider than the reference - keep them at about 45° from your body.",
    "asymmetric_arms": "your {joint} move unevenly, one side {value:.0f}° less than the other - move both sides "
                       "evenly.",
    "too_fast": "you rushed it, moving in {value:.0%} of your usual time - slow down and control the movement.",
    "knees_bent": "your knees bend {value:.0f}° more than the reference - straighten your legs and keep "
                  "them off the floor.",
    "head_dropped": "your head is {value:.0f}° out of line with your back - look at the floor just ahead "
                    "of your hands.",
    # against the person's own gold recording, in centimetres of their body
    "not_low_enough": "your hips stop {value:.0f} cm higher than in the reference - go lower, under control.",
    "stride_long": "your feet land {value:.0f} cm further apart than in your reference - shorten the step.",
    "stride_short": "your feet land {value:.0f} cm closer together than in your reference - take a longer step.",
    "stance_wide": "your feet are {value:.0f} cm wider apart than in your reference - bring them in to "
                   "about shoulder width.",
    "stance_narrow": "your feet are {value:.0f} cm closer together than in your reference - set them about "
                     "shoulder width apart.",
    "heels_rise": "your heels lift off the floor (your ankles rise {value:.0f} cm over your toes) - keep your "
                  "heels down and your weight over the middle of your feet.",
    "heels_rise:gold": "your heels lift {value:.0f} cm further off the floor than in your reference - keep your "
                       "heels down and your weight over the middle of your feet.",
    "off_balance": "your trunk sways {value:.0f}° more from side to side than in your reference - slow down, "
                   "brace and find your balance before each rep.",
    # against the person's own best reps of the set (warnings: fatigue, not a fault of form)
    "shallower_than_best": "{value:.0f}% shallower than your best reps of the set - fatigue shows; rest "
                           "or end the set when depth goes.",
    "slower_than_best": "{value:.1f} times as long as your best reps - fatigue shows; rest before the next set.",
    "posture_drift": "your {joint} {drift} {value:.0f}° from where {pronoun} in your best reps of the set - "
                     "fatigue shows; keep the form of your best reps or stop the set.",
}

# How to fix it, in the words a coach uses for that exercise (what went wrong stays as in CUES).
EXERCISE_FIXES = {
    ("squat", "shallow"): "sit back and down until your hips reach knee height.",
    ("sumo_squat", "shallow"): "sit straight down between your heels until your thighs are level.",
    ("lunge", "shallow"): "lower the back knee until it nearly touches the floor.",
    ("push_up", "shallow"): "lower your chest to a fist's height above the floor.",
    ("kneeling_push_up", "shallow"): "lower your chest to a fist's height above the floor.",
    ("wall_push_up", "shallow"): "bend your elbows until your chest nearly touches the wall.",
    ("wall_push_up", "hips_sag"): "squeeze your glutes and keep your head, hips and heels in one line.",
    ("handstand_push_up", "shallow"): "lower until your head nearly touches the floor.",
    ("handstand_push_up", "elbows_flare"): "keep your elbows over your wrists, at about 45° from your body.",
    ("bench_press", "shallow"): "bring the bar down to touch your lower chest.",
    ("dip", "shallow"): "lower until your upper arms are level with the floor.",
    ("pull_up", "partial_range"): "pull until your chin clears the bar, and lower to straight arms.",
    ("bicep_curl", "partial_range"): "curl all the way up and lower until your arms are straight.",
    ("shoulder_press", "partial_range"): "press until your arms are straight overhead.",
    ("squat", "knees_cave"): "push your knees out so they track over your middle toes.",
    ("push_up", "hips_sag"): "squeeze your glutes and brace as if for a punch: one line from head to heels.",
    ("push_up", "elbows_flare"): "tuck your elbows to about 45° from your body, like an arrow, not a T.",
    ("deadlift", "rounded_back"): "push your hips back with a flat back and your chest proud.",
    ("squat", "forward_lean"): "keep your chest up and drive up through your whole foot.",
    ("squat", "heels_rise"): "keep your heels down: sit back as much as down, and squat only as deep as your "
                             "ankles let you with the heels on the floor (or raise them on a small plate).",
    ("sumo_squat", "heels_rise"): "keep your heels down: sit straight down between them with your weight over "
                                  "your mid-foot.",
    ("sit_up", "shallow"): "curl all the way up until your chest nears your thighs, under control.",
    ("shoulder_bridge", "shallow"): "drive your hips up until your knees, hips and shoulders are in one line.",
}


OWN_BEST = ("shallower_than_best", "slower_than_best")


def _cue(kind: str, exercise: str | None, joint: str, value: float, against: str = "") -> str:
    what = kind
    if kind == "shallow" and exercise in TOP_MIDPOINT:
        # a rep that turns at its top (a sit-up, a bridge) is short of it, not of depth: "your hips bend less
        # - go deeper" told a sit-up to do the opposite of curling up
        what = "partial_range"
    words = JOINT_WORDS.get(joint, joint)
    plural = words.endswith("s")
    text = CUES.get(f"{what}:{against}", CUES[what]).format(
        joint=words, value=value, drift="drift" if plural else "drifts", pronoun="they were" if plural else "it was")
    fix = EXERCISE_FIXES.get((exercise or "", kind))
    if fix:
        text = text.split(" - ")[0] + " - " + fix
    return text


def article(word: str) -> str:
    """The indefinite article before `word`: "an alternate reverse lunge", "a squat"."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def unseen_legs_note(reps: list[int], count: int, line_told: bool = False) -> str:
    """The info line for reps whose knees were not judged because no leg was in view. `line_told`: a body-line
    cue ("one line from head to heels") was given on some of them, read to where the pose model guessed the
    legs, so the note says how sure that cue is rather than sit beside it unexplained."""
    which = "Knees not checked" if len(reps) == count else f"{rep_list(reps)}: knees not checked"
    line = (f" The body line on {'it' if len(reps) == 1 else 'them'} runs to where the legs were estimated to be, so take its cue as a hint."
            if line_told else "")
    return f"{which} - the legs are not in view; film the whole body to have them checked.{line}"


def unseen_feet_note(reps: list[int], count: int) -> str:
    """The info line for reps whose heels were not judged because no foot was in view."""
    which = "Heels not checked" if len(reps) == count else f"{rep_list(reps)}: heels not checked"
    return f"{which} - the feet are not in view; film the whole body, feet included, to have them checked."


def rep_list(reps: list[int]) -> str:
    reps = sorted(set(reps))
    if len(reps) == 1:
        return f"Rep {reps[0]}"
    runs, start = [], reps[0]
    for a, b in zip(reps, reps[1:] + [None]):
        if b != a + 1:
            runs.append(f"{start}-{a}" if a != start else f"{a}")
            start = b
    # "Reps 2-3 and 11, at the bottom": the last run joined by "and", so the list ends before the moment
    return "Reps " + (", ".join(runs[:-1]) + " and " + runs[-1] if len(runs) > 1 else runs[0])


def phrase(findings: list[Finding], exercise: str | None, n_reps: int, unread: list[int] = ()) -> list[Feedback]:
    """Group reps with the same fault into one cue; say what went well too (not of the `unread` reps, whose
    body was not read clearly enough to judge them)."""
    groups: dict[tuple, list[Finding]] = defaultdict(list)
    for f in findings:
        groups[(f.kind, f.phase, f.joint, f.severity, f.against)].append(f)
    out = []
    for (kind, phase, joint, severity, against), items in sorted(groups.items(),
                                                                key=lambda kv: min(f.rep for f in kv[1])):
        reps = [f.rep for f in items]
        value = sum(f.value for f in items) / len(items)
        when = moment_words(exercise)[phase]
        cue = _cue(kind, exercise, joint, value, against)
        rep_text = rep_list(reps)
        if kind in OWN_BEST:
            # "Reps 8-10 were 25% shallower than your best reps": the set is the reference, not a moment
            verb = "was" if len(set(reps)) == 1 else "were"
            cue = f"{verb} {cue}"
            when = ""
        message = f"{rep_text}, {when}: {cue}" if when else f"{rep_text} {cue}"
        out.append(Feedback(rep=reps[0] if len(set(reps)) == 1 else None, phase=phase, joint=joint,
                            severity=severity, message=message, reps=sorted(set(reps)), kind=kind))
    # A rep warned against the set's own best (fatigue) is not praised as matching the reference either:
    # "all 11 reps matched ... well done" after "reps 6-8 were 21% shallower" reads as a contradiction.
    # Nor a rep whose reading broke: "all 10 reps matched" beside "reps 9-10 were not read clearly".
    clean = sorted(set(range(1, n_reps + 1)) - {f.rep for f in findings if f.severity in ("fault", "warn")}
                   - set(unread))
    if n_reps and clean:
        if len(clean) == n_reps:
            every = {1: "The rep", 2: "Both reps"}.get(n_reps, f"All {n_reps} reps")
            msg = f"{every} matched the reference form - well done."
        else:
            msg = f"{rep_list(clean)}: good form, matching the reference."
        out.append(Feedback(rep=None, phase="overall", joint=None, severity="info", message=msg, reps=clean))
    return out


def cut_reps_note(reps: list[int]) -> str:
    """The info line for reps the recording starts or ends in, more than half-way out."""
    it = "it" if len(reps) == 1 else "them"
    return (f"{rep_list(reps)}: the recording starts or ends part-way through, so only what was filmed was "
            f"judged - film the whole set to have {it} judged whole.")


def near_limit_note(reps: list[int]) -> str:
    """The info line for reps inside the depth or range limits by less than a fifth of them."""
    return (f"{rep_list(reps)}: within the limits for depth and range of motion, but close to them - "
            "go the full way on every rep.")

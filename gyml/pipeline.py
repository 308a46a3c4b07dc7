"""The main job: pose sequence -> exercise -> reps -> coaching, as one `Analysis` record."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from gyml.coach.feedback import article, rep_list
from gyml.coach.holds import COUNT_HOLD_EDGE_S, is_hold
from gyml.coach.reading import upside_down_warning
from gyml.errors import GymlError
from gyml.pose.kinematics import Kinematics
from gyml.pose.readers import read_pose
from gyml.pose.sequence import PoseSequence
from gyml.report.analysis import Analysis, ExercisePrediction, Feedback
from gyml.reps.counter import RepCount, count_reps
from gyml.reps.coverage import assess_tracking
from gyml.synth.catalog import CATALOG


@dataclass
class AnalysisResult:
    analysis: Analysis
    sequence: PoseSequence
    reps: RepCount
    kinematics: Kinematics | None = None
    gold: PoseSequence | None = None      # the reference the coach compared with (the report draws it)
    gold_reps: RepCount | None = None


def _validate(seq: PoseSequence, name: str) -> None:
    if not seq.present.any():
        raise GymlError(f"{name}: no person found in any frame")
    j = seq.joints[seq.present]
    if not np.isfinite(j[seq.confidence[seq.present] > 0]).all():
        raise GymlError(f"{name}: pose values contain NaN or infinite numbers")


def analyze_sequence(seq: PoseSequence, input_name: str, exercise: str | None = None,
                     gold: PoseSequence | None = None, count_method: str = "gyml",
                     coach_method: str = "gyml", strictness: str = "intermediate",
                     model_path: str | None = None) -> AnalysisResult:
    """Recognise (with the shipped model, or the one at `model_path`), count, coach.

    The sequence's kinematics (filled joints, joint angles, pose features) are derived once and handed
    to every stage; the classifier's active window reuses the count when it is the default counter's."""
    from gyml.coach.compare import STRICTNESS
    from gyml.validate import check_choice

    check_choice("strictness", strictness, STRICTNESS)   # a typo would be coached as intermediate, named as typed
    _validate(seq, input_name)
    kinematics = Kinematics(seq)
    reps = count_reps(seq, count_method, kinematics=kinematics)
    prediction = _recognise(seq, exercise, model_path, kinematics, reps if count_method == "gyml" else None)
    _check_gold_matches(gold, prediction)
    if prediction is not None and is_hold(prediction.label):
        return _analyze_hold(seq, input_name, prediction, gold, kinematics)
    upside_down, upside_down_share = upside_down_warning(prediction.label if prediction else None,
                                                         kinematics.raw_angles)
    beside = _holds_beside_reps(seq, reps) if exercise is None and not upside_down else []
    if beside:   # the set counted on its own frames (see _count_without_holds)
        reps = _count_without_holds(seq, reps, count_method, [hold for hold, _, _ in beside])
    if upside_down:  # cues would be about the wrong limbs: the count stays, the coaching is withheld
        feedback, extras, gold_reps = [], {}, None
    else:
        gold, gold_reps = _gold(gold, prediction, coach_method, bool(reps.segments))
        feedback, extras = _coach(seq, reps, prediction, gold, coach_method, strictness, kinematics, gold_reps)
    # one shape for every rep set: a client reads these keys whether or not any rep was coached
    extras.setdefault("rep_metrics", [])
    extras.setdefault("coach", None)
    if upside_down_share is not None:
        extras["reading"] = {"upside_down_share": round(upside_down_share, 3), "form_withheld": bool(upside_down)}
    tracking = assess_tracking(seq, reps, named=exercise is not None)
    extras["tracking"] = tracking.to_dict()
    if seq.metadata.get("absent_joints"):
        extras["absent_joints"] = list(seq.metadata["absent_joints"])  # joints the source does not have
    _report_plausibility(seq, extras, feedback)
    _report_assumed_fps(seq, extras, feedback)
    # when read upside down, the "feet" the framing warning measured are not the feet
    for warning in (None if upside_down else tracking.framing_warning, tracking.warning, upside_down):
        if warning:
            feedback.insert(0, Feedback(rep=None, phase="overall", joint=None, severity="warn", message=warning))
    if contradicted := named_contradicted_warning(prediction):
        feedback.insert(0, contradicted)
    faulty_reps = sorted({m["rep"] for m in extras.get("rep_metrics", []) if m["faults"]})
    summary = _summary(prediction, reps, feedback, faulty_reps, withheld="the body was read upside down"
                       if upside_down else None)
    if tracking.warning:
        summary += f" The count may be low: the body was found in only {tracking.share:.0%} of the frames."
    for hold, hold_feedback_lines, hold_said in beside:
        extras.setdefault("holds_beside_reps", []).append(hold)
        feedback += hold_feedback_lines
        summary += f" {hold['when'].capitalize()} the reps: {hold_said[0].lower()}{hold_said[1:]}"
    analysis = Analysis(input=input_name, source=seq.source, frames=len(seq), fps=seq.fps,
                        exercise=prediction, reps=reps.to_dict(), feedback=feedback, summary=summary,
                        extras=extras)
    return AnalysisResult(analysis, seq, reps, kinematics, gold, gold_reps)


def _holds_beside_reps(seq: PoseSequence, reps: RepCount) -> list[tuple[dict, list[Feedback], str]]:
    """A hold before the reps or after them (push-ups, then a plank), timed and coached as a hold: (its report
    as JSON with "when": "before" or "after", its feedback, its summary sentence). Live coaching takes it up
    the same way."""
    from gyml.coach import gold as gold_library
    from gyml.coach.holds import hold_feedback, hold_summary, hold_title, holds_beside_reps

    out = []
    for when, prediction, report in holds_beside_reps(seq, reps, gold_library.find):
        title = hold_title(prediction.label)
        lines = [Feedback(f.rep, f.phase, f.joint, f.severity, f"{title} {when} the reps: {f.message[0].lower()}"
                          f"{f.message[1:]}", kind=f.kind) for f in hold_feedback(report)]
        out.append(({"when": when, **report.to_dict()}, lines, hold_summary(report, title)))
    return out


def _count_without_holds(seq: PoseSequence, reps: RepCount, count_method: str, holds: list[dict]) -> RepCount:
    """The reps counted again on the frames between the holds beside them (COUNT_HOLD_EDGE_S)."""
    keep = int(round(COUNT_HOLD_EDGE_S * seq.fps))
    a = max([int(round(h["end_s"] * seq.fps)) - keep for h in holds if h["when"] == "before"], default=0)
    b = min([int(round(h["start_s"] * seq.fps)) + keep for h in holds if h["when"] == "after"], default=len(seq))
    a, b = max(0, min(a, len(seq))), max(0, min(b, len(seq)))
    if b - a < 2 or (a == 0 and b == len(seq)):
        return reps
    part = count_reps(seq.slice(a, b), count_method)
    if not part.segments:   # nothing counted on the part: the whole recording's count stands
        return reps
    signal = np.empty(len(seq), dtype=np.float64)   # the holds drawn flat: nothing was counted there
    signal[a:b] = part.signal
    signal[:a], signal[b:] = part.signal[0], part.signal[-1]
    segments = [replace(s, start=s.start + a, mid=s.mid + a, end=s.end + a) for s in part.segments]
    return replace(part, segments=segments, signal=signal)


def _check_gold_matches(gold: PoseSequence | None, prediction: ExercisePrediction | None) -> None:
    """A gold recognised as another exercise than the recording is refused: a squat judged against a lunge
    is told its feet are half a metre too wide. A gold named with --exercise, or passed with --force, was
    checked or accepted when it was read (gold.check_recording) and is not looked at again."""
    if gold is None or prediction is None or gold.metadata.get("gold_checked"):
        return
    info = gold.metadata.get("gold", {})
    if not info.get("exercise") or info["exercise"] == prediction.label:
        return
    from gyml.synth.catalog import CATALOG

    def called(label: str) -> str:
        return (CATALOG[label].name if label in CATALOG else label.replace("_", " ")).lower()

    raise GymlError(f"the gold {info.get('name', '')} looks like {called(info['exercise'])} and this recording like "
                    f"{called(prediction.label)}: name the exercise with --exercise, or pass --force")


def _analyze_hold(seq: PoseSequence, input_name: str, prediction: ExercisePrediction,
                  gold: PoseSequence | None, kinematics: Kinematics) -> AnalysisResult:
    """A hold has no reps: time it and coach its posture over time (gyml.coach.holds)."""
    from gyml.coach import gold as gold_library
    from gyml.coach.holds import coach_hold_analysis
    if gold is None:   # the person's stored gold (a hold of their own: its recordings); the report draws it
        gold = gold_library.find(prediction.label)
    feedback, extras, summary, signal = coach_hold_analysis(seq, prediction, gold)
    _report_plausibility(seq, extras, feedback)
    _report_assumed_fps(seq, extras, feedback)
    if contradicted := named_contradicted_warning(prediction):
        feedback.insert(0, contradicted)
    reps = RepCount(count=0, method="hold", segments=[], signal=signal)
    analysis = Analysis(input=input_name, source=seq.source, frames=len(seq), fps=seq.fps,
                        exercise=prediction, reps=reps.to_dict(), feedback=feedback, summary=summary,
                        extras=extras)
    return AnalysisResult(analysis, seq, reps, kinematics, gold)


def _report_plausibility(seq: PoseSequence, extras: dict, feedback: list[Feedback]) -> None:
    """Frames the readers found broken (gyml.pose.plausibility) and made missing: a JSON field and a warning."""
    report = seq.metadata.get("plausibility")
    if not report:
        return
    extras["plausibility"] = report
    if report.get("frames_dropped"):
        why = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(report.get("reasons", {}).items()))
        feedback.insert(0, Feedback(rep=None, phase="overall", joint=None, severity="warn",
                                    message=f"{report['frames_dropped']} of {len(seq)} frames held poses no body "
                                            f"could take ({why}) and were treated as missing."))


def _report_assumed_fps(seq: PoseSequence, extras: dict, feedback: list[Feedback]) -> None:
    """A pose file that stores no frame rate was read at an assumed one: every second in the analysis (a
    hold's time, tempo) rests on it, so the JSON flags it and an info line says how to give the real one."""
    if not seq.metadata.get("fps_assumed"):
        return
    extras["fps_assumed"] = True
    feedback.append(Feedback(rep=None, phase="overall", joint=None, severity="info",
                             message=f"No frame rate stored in the file: read at {seq.fps:g} fps; give --fps if it "
                                     "was filmed at another rate."))


def analyze_file(path: str | Path, progress=None, fps: float | None = None, **kwargs) -> AnalysisResult:
    seq = read_pose(path, fps=fps, progress=progress)
    return analyze_sequence(seq, str(path), **kwargs)


def _recognise(seq: PoseSequence, exercise: str | None, model_path: str | None = None,
               kinematics: Kinematics | None = None, reps: RepCount | None = None) -> ExercisePrediction | None:
    from gyml.classify.default import recognise
    from gyml.classify.personal import recognise_personal
    # the person's own exercises first: named with --exercise, or matched by their recordings
    prediction = recognise_personal(seq, exercise, kinematics=kinematics, reps=reps) or \
        recognise(seq, exercise, model_path, kinematics=kinematics, reps=reps)
    if prediction is not None and prediction.named and prediction.label in CATALOG:
        # a catalog exercise named by the person is still looked at: a squat named "lunge" is coached as a
        # lunge, and the person is told what the recording looks like when the model is sure of another
        seen = recognise(seq, None, model_path, kinematics=kinematics, reps=reps)
        if seen is not None and seen.label not in (prediction.label, "unknown") and not seen.guess \
                and seen.confidence >= NAMED_CONTRADICTED:
            prediction.recognised = (seen.label, seen.name, float(seen.confidence))
    return prediction


# How sure the model must be of another exercise before a named one is said to look unlike the recording.
NAMED_CONTRADICTED = 0.9


def named_contradicted_warning(prediction: ExercisePrediction | None) -> Feedback | None:
    if prediction is None or prediction.recognised is None:
        return None
    _, name, confidence = prediction.recognised
    return Feedback(rep=None, phase="overall", joint=None, severity="warn",
                    message=f"This was named {article(prediction.name.lower())} {prediction.name.lower()}, but it "
                            f"looks like {article(name.lower())} {name.lower()} ({confidence:.0%}): the coaching "
                            f"below is for {article(prediction.name.lower())} {prediction.name.lower()} - check "
                            "the name, or leave it out to have the exercise recognised.")


def _gold(gold: PoseSequence | None, prediction: ExercisePrediction | None, method: str, any_reps: bool
          ) -> tuple[PoseSequence | None, RepCount | None]:
    """The reference to coach against (the one given, else the library's for the exercise) and, for our
    coach, its reps (counted once: the coach compares with them, the report draws them)."""
    from gyml.coach import gold as gold_library
    if gold is None and prediction is not None and prediction.label:
        gold = gold_library.find(prediction.label)
    if gold is None or method != "gyml" or not any_reps:
        return gold, None
    return gold, count_reps(gold, kinematics=Kinematics(gold))


def _coach(seq, reps, prediction, gold, method, strictness, kinematics=None, gold_reps=None
           ) -> tuple[list[Feedback], dict]:
    from gyml.coach.session import coach_session
    return coach_session(seq, reps, prediction, gold=gold, method=method, strictness=strictness,
                         kinematics=kinematics, gold_reps=gold_reps)


def _summary(prediction: ExercisePrediction | None, reps: RepCount, feedback: list[Feedback],
             faulty_reps: list[int], withheld: str | None = None) -> str:
    what = prediction.name.lower() if prediction is not None else "repetitions of an exercise we did not recognise"
    if prediction is not None and prediction.guess:
        what = f"what looks like {article(what)} {what} ({prediction.confidence:.0%}, a guess)"
    n = reps.count
    if prediction is None:
        text = f"{n} {what}"
    else:
        text = f"{n} rep{'' if n == 1 else 's'} of {what}"
    faults = [f for f in feedback if f.severity == "fault"]
    if n == 0:
        if prediction is not None and prediction.guess:
            return f"No repetitions found in {what}."
        return f"No repetitions found ({what if prediction else 'no exercise recognised'})."
    if withheld:
        return f"{text}; form not coached: {withheld}."
    if faults:
        reps_hit = faulty_reps or sorted({f.rep for f in faults if f.rep is not None})
        # "reps 1-2, 4-30", not thirty numbers
        where = f" ({rep_list(reps_hit).lower()})" if reps_hit else ""
        # an issue is a kind of fault: one told at the bottom of some reps and on the way up of another is one
        issues = len({(f.kind, f.joint) for f in faults})
        return f"{text}; {issues} form issue{'s' if issues > 1 else ''} to work on{where}."
    return f"{text}; no form faults found."

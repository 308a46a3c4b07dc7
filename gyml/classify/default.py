"""The default model shipped with gyml: recognises the catalog's exercises (and the real data's extra
classes) from view-invariant joint-angle features, so one model serves SMPL input and MediaPipe video.
Below a confidence threshold it still names the most likely exercise, marked as a guess."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from gyml.classify.calibration import Calibration, framing_cut
from gyml.classify.features import angle_features, build_features, motion_features, rep_curve_features
from gyml.classify.model import ExerciseModel
from gyml.pose.kinematics import Kinematics
from gyml.pose.sequence import PoseSequence
from gyml.report.analysis import ExercisePrediction

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "data" / "default_model.gyml"
# Used when a model file does not carry its own threshold (settings["unknown_below"]).
UNKNOWN_BELOW = 0.35
# With a calibrated confidence (the probability that the label is right), a guess below an even chance.
CALIBRATED_UNKNOWN_BELOW = 0.5


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> ExerciseModel:
    return ExerciseModel.load(path or DEFAULT_MODEL)


def model_features(model: ExerciseModel, seq: PoseSequence, kinematics: Kinematics | None = None,
                   reps=None) -> np.ndarray:
    """(1, features): one recording described as `model` reads it (`kinematics`, `reps`: reused when made)."""
    if model.features == "angles":
        return angle_features(seq, kinematics, reps)[None]
    if model.features == "rep_curve":
        return rep_curve_features(seq, kinematics=kinematics, reps=reps)[None]
    if model.features == "motion":
        X = motion_features(seq, kinematics)[None]
        if seq.source in model.settings.get("sensor_rep_votes", ()):
            # this sensor's estimator also votes on the reps' trajectories (gyml.classify.rep_neighbors)
            from gyml.classify.rep_neighbors import pack, rep_trajectories
            X = np.hstack([X, pack([rep_trajectories(seq, kinematics, reps)])])
        return X
    return build_features([seq], model.features, model.settings.get("length"))


def predict(model: ExerciseModel, seq: PoseSequence, top: int = 3, kinematics: Kinematics | None = None,
            reps=None) -> ExercisePrediction | None:
    """The top label with its confidence: the probability that it is right when the model file carries a
    calibration (settings["calibration"]; from the top vote share and, when the map reads it, how often the
    body reached the picture's edge), else the classifier's own score. Below the model's threshold
    the top label is still returned, marked as a guess: a named guess can be coached, "unknown" cannot.
    `kinematics` and `reps` (the default counter's count of `seq`) are used when already made."""
    proba = model.predict_proba(model_features(model, seq, kinematics, reps), sensor=seq.source)[0]
    classes = list(model.estimator_for(seq.source).classes_)
    order = np.argsort(-proba)[:top]
    if "calibration" in model.settings:
        calibration = Calibration.from_dict(model.settings["calibration"])
        # a body cut by the frame is named less reliably than its vote share says (gyml.classify.calibration)
        framing = framing_cut(seq) if calibration.reads_framing else 0.0
        threshold = float(model.settings.get("calibrated_unknown_below", CALIBRATED_UNKNOWN_BELOW))
        conf = float(calibration(float(proba[order[0]]), framing))
    else:
        threshold = float(model.settings.get("unknown_below", UNKNOWN_BELOW))
        conf = float(proba[order[0]])
    label = str(classes[order[0]])
    # The calibration maps the top label's vote share to the probability that it is right; a runner-up's
    # share is no top share (through the map, a share of 0 read 27%). The runners-up split what the top
    # label leaves in proportion to their shares, so the list reads as one distribution.
    others = max(1.0 - float(proba[order[0]]), 0.0)
    ranked = [(label, conf)] + [(str(classes[i]), (1.0 - conf) * float(proba[i]) / others if others > 0 else 0.0)
                                for i in order[1:]]
    # the catalog names its exercises (a model file built before an exercise joined it may not)
    from gyml.synth.catalog import CATALOG
    name = CATALOG[label].name if label in CATALOG else model.names.get(label, label)
    return ExercisePrediction(label, name, conf, ranked, guess=conf < threshold)


def recognise(seq: PoseSequence, exercise: str | None = None, model_path: str | None = None,
              kinematics: Kinematics | None = None, reps=None) -> ExercisePrediction | None:
    """The exercise: as the user named it, else as the default model recognises it."""
    if exercise:
        from gyml.synth.catalog import CATALOG
        from gyml.validate import check_exercise
        key = check_exercise(exercise)  # an unknown name is refused with the closest names
        if key not in CATALOG:  # one of the person's own exercises
            return ExercisePrediction(key, key.replace("_", " ").capitalize(), 1.0, [(key, 1.0)], named=True)
        spec = CATALOG[key]
        return ExercisePrediction(spec.label, spec.name, 1.0, [(spec.label, 1.0)], named=True)
    if model_path is None and not DEFAULT_MODEL.exists():
        return None
    return predict(load_model(str(model_path) if model_path else None), seq, kinematics=kinematics, reps=reps)

"""Procedural SMPL exercise motion with planted form faults (`gyml synth`)."""

from gyml.synth.catalog import CATALOG, ExerciseSpec, exercise_names, get_exercise
from gyml.synth.motion import SynthConfig, synthesize

__all__ = ["CATALOG", "ExerciseSpec", "SynthConfig", "exercise_names", "get_exercise", "synthesize"]

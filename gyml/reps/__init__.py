"""Repetition counting: offline (`counter`) and causal, frame by frame (`stream`)."""

from gyml.reps.counter import RepCount, RepSegment, count_reps

__all__ = ["RepCount", "RepSegment", "count_reps"]

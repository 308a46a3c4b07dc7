"""How much of a set the pose tracker saw: reps during frames without a pose cannot be counted."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from gyml.pose.sequence import PoseSequence
from gyml.reps.counter import RepCount

MIN_SHARE = 0.8      # below it, whole reps are likely to fall in the gaps
MAX_GAP_S = 2.0      # a gap longer than this (or than a rep) can hide a rep


@dataclass(frozen=True)
class TrackingCoverage:
    share: float          # frames with a pose, between the first and the last one that has it
    longest_gap_s: float  # the longest run of frames without a pose inside that span
    warning: str | None = None  # plain language, when the count may be low for it

    def to_dict(self) -> dict:
        return {"share": round(self.share, 3), "longest_gap_s": round(self.longest_gap_s, 2)}


def tracking_coverage(seq: PoseSequence) -> TrackingCoverage:
    present = np.asarray(seq.present, dtype=bool)
    seen = np.flatnonzero(present)
    if len(seen) == 0:
        return TrackingCoverage(0.0, len(present) / seq.fps)
    inside = present[seen[0]:seen[-1] + 1]
    # runs of missing frames: differences of the padded indicator mark where each starts and ends
    edges = np.diff(np.r_[0, (~inside).astype(np.int8), 0])
    runs = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
    return TrackingCoverage(float(inside.mean()), float(runs.max(initial=0)) / seq.fps)


def coverage_warning(coverage: TrackingCoverage, reps: RepCount, fps: float) -> str | None:
    """A plain-language warning when the count may be low because the tracker lost the person, else None."""
    rep_s = reps.period_frames / fps if reps.period_frames else MAX_GAP_S
    if coverage.share >= MIN_SHARE and coverage.longest_gap_s <= min(MAX_GAP_S, rep_s):
        return None
    return (f"The body was found in only {coverage.share:.0%} of the frames (the longest gap lasts "
            f"{coverage.longest_gap_s:.1f} s): reps made while it was lost cannot be counted, so the count may "
            "be low. Film with the whole body in view, from the side, in good light.")


def assess_tracking(seq: PoseSequence, reps: RepCount) -> TrackingCoverage:
    """The coverage of `seq` with its warning (if any) for the count `reps` made on it."""
    coverage = tracking_coverage(seq)
    return replace(coverage, warning=coverage_warning(coverage, reps, seq.fps))

"""How much of a set the pose tracker saw: reps during frames without a pose cannot be counted, and a body
whose feet the camera hardly saw is likely cut by the frame, which recognition and the leg checks do not
survive (benchmarks/classify_messy.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import JOINT
from gyml.reps.counter import RepCount

MIN_SHARE = 0.8      # below it, whole reps are likely to fall in the gaps
MAX_GAP_S = 2.0      # a gap longer than this (or than a rep) can hide a rep
# MediaPipe draws every landmark, seen or not; on videos cropped from the waist or the knees down the
# better-seen ankle's median visibility falls below this in 78% / 67% of clips, on whole clips in 19%
# (mostly web clips whose feet do leave the picture; benchmarks/classify_messy.py).
FEET_SEEN_MIN = 0.3


@dataclass(frozen=True)
class TrackingCoverage:
    share: float          # frames with a pose, between the first and the last one that has it
    longest_gap_s: float  # the longest run of frames without a pose inside that span
    warning: str | None = None  # plain language, when the count may be low for it
    feet_visibility: float | None = None  # video poses: median visibility of the better-seen ankle
    framing_warning: str | None = None    # plain language, when the feet were hardly seen

    def to_dict(self) -> dict:
        out = {"share": round(self.share, 3), "longest_gap_s": round(self.longest_gap_s, 2)}
        if self.feet_visibility is not None:
            out["feet_visibility"] = round(self.feet_visibility, 3)
        return out


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


def feet_visibility(seq: PoseSequence) -> float | None:
    """For poses from a video (confidence = MediaPipe's visibility): the median, over frames with a pose,
    of the better-seen ankle's visibility. None for other sources, whose confidences mean other things."""
    if seq.source != "video" or not seq.present.any():
        return None
    ankles = seq.confidence[seq.present][:, [JOINT["left_ankle"], JOINT["right_ankle"]]]
    return float(np.median(ankles.max(axis=1)))


def framing_warning(visibility: float | None, named: bool = False) -> str | None:
    """The warning when the feet were hardly seen. `named`: the person named the exercise (nothing was
    recognised, so nothing can be misnamed)."""
    if visibility is None or visibility >= FEET_SEEN_MIN:
        return None
    doubt = "checks of the legs are unreliable" if named else \
        "the exercise may be misnamed and checks of the legs are unreliable"
    return (f"The feet were hardly seen (visibility {visibility:.0%}): if the legs are out of the picture, "
            f"{doubt}. Film with the whole body in view.")


def assess_tracking(seq: PoseSequence, reps: RepCount, named: bool = False) -> TrackingCoverage:
    """The coverage of `seq` with its warnings (if any) for the count `reps` made on it; `named`: the
    exercise was named by the person, not recognised."""
    coverage = tracking_coverage(seq)
    feet = feet_visibility(seq)
    return replace(coverage, warning=coverage_warning(coverage, reps, seq.fps), feet_visibility=feet,
                   framing_warning=framing_warning(feet, named))

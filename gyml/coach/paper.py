"""GyML's coach, exactly: start and midpoint poses of each rep against the gold rep's, with the threshold
set by the largest distance from the start pose seen inside the gold video."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gyml.pose.kinematics import Kinematics
from gyml.pose.sequence import PoseSequence
from gyml.reps.counter import RepCount, count_reps


def pose_vectors(seq: PoseSequence, smpl: bool = True, kinematics: Kinematics | None = None) -> np.ndarray:
    """The paper compares SMPL pose vectors; without SMPL, normalised joint positions."""
    kinematics = Kinematics.of(seq, kinematics)
    if smpl and seq.smpl_pose is not None:
        return kinematics.paper_features
    return kinematics.features


@dataclass
class PaperCoachResult:
    threshold: float
    mean_mid_distance: float
    mean_start_distance: float
    flagged: list[tuple[int, str]]  # (rep, "start" | "mid")

    def to_dict(self) -> dict:
        return {"max_gold_distance": round(self.threshold, 4),
                "mean_user_mid_to_gold": round(self.mean_mid_distance, 4),
                "mean_user_start_to_gold": round(self.mean_start_distance, 4),
                "flagged": [{"rep": r, "phase": p} for r, p in self.flagged]}


def paper_coach(user: PoseSequence, user_reps: RepCount, gold: PoseSequence,
                gold_reps: RepCount | None = None, kinematics: Kinematics | None = None) -> PaperCoachResult | None:
    gold_kinematics = Kinematics(gold)
    gold_reps = gold_reps or count_reps(gold, "paper", kinematics=gold_kinematics)
    if not gold_reps.segments or not user_reps.segments:
        return None
    # Both sides in the same space: SMPL only when both have it (a video against a built-in gold has not).
    smpl = user.smpl_pose is not None and gold.smpl_pose is not None
    g = pose_vectors(gold, smpl, gold_kinematics)
    u = pose_vectors(user, smpl, kinematics)
    threshold = float(np.linalg.norm(g - g[0], axis=1).max())
    gold_start = g[gold_reps.segments[0].start]
    gold_mid = g[gold_reps.segments[0].mid]
    flagged, mids, starts = [], [], []
    for seg in user_reps.segments:
        d_start = float(np.linalg.norm(u[seg.start] - gold_start))
        d_mid = float(np.linalg.norm(u[seg.mid] - gold_mid))
        starts.append(d_start)
        mids.append(d_mid)
        if d_start > threshold:
            flagged.append((seg.index, "start"))
        if d_mid > threshold:
            flagged.append((seg.index, "mid"))
    return PaperCoachResult(threshold, float(np.mean(mids)), float(np.mean(starts)), flagged)

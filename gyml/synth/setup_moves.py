"""Sets framed by set-up moves, as real recordings are: people pick up their weights, get down to the floor.

Each recording keeps the set's own rep segments in `metadata["segments"]`, shifted to where the set
now starts, so a counter's reps can be checked against them.
"""

from __future__ import annotations

import numpy as np

from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import JOINT
from gyml.synth.motion import SynthConfig, synthesize

_HANDS = [JOINT["left_wrist"], JOINT["right_wrist"]]


def _framed(before: list[np.ndarray], core: PoseSequence, after: list[np.ndarray], seed: int) -> PoseSequence:
    joints = np.concatenate([*before, core.joints, *after]).astype(np.float32)
    joints += np.random.default_rng(seed).normal(0, 0.004, joints.shape).astype(np.float32)
    offset = sum(len(part) for part in before)
    segments = [{**s, "start": s["start"] + offset, "mid": s["mid"] + offset, "end": s["end"] + offset}
                for s in core.metadata["segments"]]
    return PoseSequence(joints=joints, confidence=np.ones(joints.shape[:2], np.float32), fps=core.fps,
                        source="synth", metadata={**core.metadata, "segments": segments})


def with_weights_picked_up(exercise: str, reps: int, seed: int = 0, carry_s: float = 0.6) -> PoseSequence:
    """A hip hinge down to the floor and back (picking the weights up) before the set, and again after
    it (putting them down): one move far larger than the reps of a curl, raise or press. Between the
    hinge and the set the weights are carried to where the set starts (up to the shoulders for a
    press) and back down after it, in `carry_s` seconds each way."""
    cfg = SynthConfig(noise_m=0.0, lead_in_s=0.7, lead_out_s=0.7)
    core = synthesize(exercise, reps, seed=seed, config=cfg)
    hinge = synthesize("deadlift", 1, seed=seed, config=cfg).joints
    hinge = hinge - hinge[:, :1] + core.joints[0, :1]
    frames = max(2, round(carry_s * core.fps))
    return _framed([hinge, _eased(hinge[-1], core.joints[0], frames)], core,
                   [_eased(core.joints[-1], hinge[0], frames), hinge], seed)


def _eased(start: np.ndarray, end: np.ndarray, frames: int) -> np.ndarray:
    """(frames, J, 3) poses from `start` to `end`, slow at either end as a limb moves."""
    w = (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, frames)))[:, None, None]
    return (1 - w) * start + w * end


def push_ups_from_the_knees(reps: int, seed: int = 0) -> PoseSequence:
    """Kneeling with the hands planted, up into the plank, the push-ups, and back onto the knees."""
    cfg = SynthConfig(noise_m=0.0, lead_in_s=0.5, lead_out_s=0.5)
    core = synthesize("push_up", reps, seed=seed, config=cfg)
    kneel = synthesize("kneeling_push_up", 1, seed=seed, config=cfg).joints[0]
    first = kneel + (core.joints[0][_HANDS].mean(axis=0) - kneel[_HANDS].mean(axis=0))
    last = kneel + (core.joints[-1][_HANDS].mean(axis=0) - kneel[_HANDS].mean(axis=0))
    return _framed([np.repeat(first[None], 45, axis=0), _eased(first, core.joints[0], 30)], core,
                   [_eased(core.joints[-1], last, 30), np.repeat(last[None], 45, axis=0)], seed)

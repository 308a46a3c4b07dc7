"""Squat takes as a 3D body tracker stores them (17 of MediaPipe's 33 points: no hands, heels or toes), with
the performer's good take as gold: the kind of recording issue 16 first failed on (a set whose hips stopped
12 cm higher was "all good", a wide stance had no check). We have no real squat takes of that kind, so each
body's takes are synthesised (one body per performer, a few reps, 3D-tracker noise), written in that file
format and read back through the same reader as the real lunge and plank takes, then judged as
`benchmarks/coach_real.py` judges them: the named mistake on most reps, nothing on the good take.

Bodies are filmed from the front or up to 40 degrees off it (issue 16's real takes showed their knees caving,
which no side view does). Takes per body: good; knees_in (knees caving on every rep); forward (trunk pitched forward); high (80% of the
depth: the hips stop about 12 cm higher); wide (each foot 8 cm further out); bad (knees caving and the trunk
forward, shallow).

    python benchmarks/coach_squat_takes.py [--bodies 4] [--keep FOLDER]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from coach_real import rep_takes
from takes import run_on_synthesised_takes, synthesised_body, write_synthesised_takes

from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import JOINT
from gyml.synth import SynthConfig, synthesize

REPS = 8
# The camera's yaw from the front, by body: a squat's knees caving are judged from the front or at an angle;
# from the side (past SIDE_VIEW in gyml/coach/compare.py) the coach says it cannot judge them.
VIEWS = (0.0, 20.0, 40.0, 10.0)


def widened(seq: PoseSequence, metres: float) -> PoseSequence:
    """Each leg moved `metres` outwards, along the hips' left-right axis."""
    moved = seq.joints.copy()
    axis = seq.joints[:, JOINT["left_hip"]] - seq.joints[:, JOINT["right_hip"]]
    axis[:, 1] = 0
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        for part in ("knee", "ankle", "foot"):
            moved[:, JOINT[f"{side}_{part}"]] += sign * metres * axis
    return PoseSequence(moved, seq.confidence, seq.fps, source=seq.source)


def squat_take(seed: int, height: float, yaw: float, faults: dict, depth: float, tempo: float) -> PoseSequence:
    # everything a take could draw at random is fixed, so that every take is the same body, filmed the same
    # way; the takes differ in pace and in their mistake
    config = SynthConfig(fps=60.0, height=height, depth=depth, tempo_scale=tempo, tempo_drift=0.05,
                         lead_in_s=1.0, lead_out_s=1.0, camera_yaw_deg=yaw, asymmetry_deg=2.0,
                         sway_deg=1.0, noise_m=0.01)
    return synthesize("squat", REPS, faults, seed=seed, config=config)


def write_takes(folder: Path, bodies: int) -> None:
    performers = {}
    for body in range(bodies):
        seed, height, yaw = synthesised_body(body, 100, VIEWS)

        def take(faults=None, depth=1.0, tempo=1.0, seed=seed, height=height, yaw=yaw):
            return squat_take(seed, height, yaw, faults or {}, depth, tempo)

        every = range(1, REPS + 1)
        takes = {"good": take(tempo=1.0), "knees_in": take({r: "knees_cave" for r in every}, tempo=1.05),
                 "forward": take({r: "forward_lean" for r in every}, tempo=0.95),
                 "high": take(depth=0.8, tempo=1.1), "wide": widened(take(tempo=0.9), 0.08),
                 "bad": take({r: ("knees_cave" if r % 2 else "forward_lean") for r in every}, depth=0.8)}
        performers[f"p{body}"] = takes
    write_synthesised_takes(folder, "squat", performers, REPS)


def main() -> int:
    return run_on_synthesised_takes(__doc__.splitlines()[0], write_takes, lambda folder, bodies: rep_takes(folder))


if __name__ == "__main__":
    sys.exit(main())

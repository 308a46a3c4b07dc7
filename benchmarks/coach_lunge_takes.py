"""Lunge takes of other bodies and other camera angles than the one real performer: do the lunge checks
against a good take (depth, stride, trunk, balance) hold beyond the takes they were set with?

The real takes (../shared/data/bodyweight_mistakes, `python benchmarks/coach_real.py --only lunges`) are one
performer filmed from the side, and the geometry tolerances were chosen with them in view. Here each body's
takes are synthesised (reverse lunges, legs alternating), written in the same 3D tracker's file format
(17 of MediaPipe's 33 points), read back through the same reader and judged as coach_real.py judges the real
ones: the named mistake on most reps, nothing on the good take, each good take's halves quiet against each
other.

Mistakes are planted at the sizes the real performer's takes show against their good take (measured with
gyml.coach.geometry.rep_geometry): hips stopping about 10 cm higher (high: depth 0.37 -> 0.27 m; planted
10-13 cm), the feet 18-26% further apart at the bottom (back_behind, long: the rear leg reaching further back;
planted 19% and 28%) and the trunk's sideways sway over a rep 8 degrees more (no_equilibrium: 11 -> 19
degrees). The trunk pitched forward (back_bent) is the catalog's forward_lean fault, milder than the real
take: about 24 degrees more at the bottom, where the real one leans 39 more (8 -> 47).

    python benchmarks/coach_lunge_takes.py [--bodies 4] [--keep FOLDER]
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
from coach_real import rep_takes
from takes import run_on_synthesised_takes, synthesised_body, write_synthesised_takes

from gyml.pose.sequence import PoseSequence
from gyml.synth import CATALOG, SynthConfig, synthesize

REPS = 8
# The camera's yaw, by body: lunges are filmed from the side or at an angle (90 = from the side).
VIEWS = (90.0, 60.0, 120.0, 45.0)
# The rear leg reaching further back, straighter (degrees added to the catalog's bottom pose): the feet end
# 19% (back_behind) and 28% (long) further apart on a body of 1.75 m; the long stride also takes the front
# hip deeper, as the real one does
REACH = {"back_behind": {"hip_flex_r": -20.0, "knee_r": -30.0},
         "long": {"hip_flex_r": -22.0, "knee_r": -35.0, "hip_flex_l": 8.0}}
WOBBLE_DEG = 6.5   # a sideways wobble of the trunk (no_equilibrium): the sway over a rep about 8 degrees more
SWAY_DEG = 1.0     # everyone's slow sway


def lunge_spec(reach: dict | None = None):
    spec = CATALOG["lunge"]
    mid = dict(spec.mid)
    for dof, degrees in (reach or {}).items():
        mid[dof] = mid.get(dof, 0.0) + degrees
    return dataclasses.replace(spec, mid=mid)


def wobbling(seq: PoseSequence, degrees: float, seed: int) -> PoseSequence:
    """The upper body tilted sideways about the hips, back and forth once or twice a rep."""
    from scipy.spatial.transform import Rotation

    from gyml.pose.skeleton import JOINT

    rng = np.random.default_rng(seed)
    t = np.arange(len(seq)) / seq.fps
    angle = np.radians(degrees) * np.sin(2 * np.pi * rng.uniform(0.4, 0.6) * t + rng.uniform(0, 2 * np.pi))
    j = np.asarray(seq.joints, dtype=np.float64).copy()
    pelvis = j[:, JOINT["pelvis"]].copy()
    forward = np.cross(j[:, JOINT["left_hip"]] - j[:, JOINT["right_hip"]], [0.0, 1.0, 0.0])
    forward /= np.linalg.norm(forward, axis=1, keepdims=True)
    turn = Rotation.from_rotvec(forward * angle[:, None]).as_matrix()
    upper = [k for name, k in JOINT.items() if not any(p in name for p in ("hip", "knee", "ankle", "foot", "pelvis"))]
    for k in upper:
        j[:, k] = pelvis + np.einsum("tij,tj->ti", turn, j[:, k] - pelvis)
    return PoseSequence(j, seq.confidence, seq.fps, source=seq.source)


def lunge_take(seed: int, height: float, yaw: float, faults: dict | None = None, depth: float = 1.0,
               tempo: float = 1.0, reach: dict | None = None) -> PoseSequence:
    # everything a take could draw at random is fixed, so that every take is the same body, filmed the same
    # way; the takes differ in pace and in their mistake
    config = SynthConfig(fps=60.0, height=height, depth=depth, tempo_scale=tempo, tempo_drift=0.05,
                         lead_in_s=1.0, lead_out_s=1.0, camera_yaw_deg=yaw, asymmetry_deg=2.0,
                         sway_deg=SWAY_DEG, noise_m=0.01)
    return synthesize(lunge_spec(reach), REPS, faults or {}, seed=seed, config=config)


def write_takes(folder: Path, bodies: int) -> None:
    performers = {}
    for body in range(bodies):
        seed, height, yaw = synthesised_body(body, 300, VIEWS)
        every = range(1, REPS + 1)

        def take(seed=seed, height=height, yaw=yaw, **kwargs):
            return lunge_take(seed, height, yaw, **kwargs)

        performers[f"p{body}"] = {"good": take(),
                                  "back_bent": take(faults={r: "forward_lean" for r in every}, tempo=0.95),
                                  "high": take(depth=0.8, tempo=1.05),
                                  "back_behind": take(reach=REACH["back_behind"], tempo=1.1),
                                  "long": take(reach=REACH["long"], tempo=0.9),
                                  "no_equilibrium": wobbling(take(tempo=1.05), WOBBLE_DEG, seed)}
    write_synthesised_takes(folder, "lunge", performers, REPS)


def main() -> int:
    return run_on_synthesised_takes(__doc__.splitlines()[0], write_takes, lambda folder, bodies: rep_takes(folder))


if __name__ == "__main__":
    sys.exit(main())

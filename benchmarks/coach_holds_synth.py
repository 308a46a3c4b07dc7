"""Side plank and wall sit on synthesised holds (no real recording of either is at hand): is each coached
sensibly? For each hold, on bodies, cameras and sensor noise drawn at random:

- a clean hold: nothing flagged;
- each check's fault planted over the whole hold at twice its tolerance: that fault named over most (> 80%)
  of the hold, and no other;
- the same posture changed by a third of the tolerance: nothing flagged;
- the fault planted over the middle third of the hold only (blended in and out over a second): named with
  its seconds, start and end within a second of the planted ones.

    python benchmarks/coach_holds_synth.py [--bodies 6]

Faults are planted by changing the catalog's hold pose (gyml/synth); a side plank's head dropped towards the
floor, for which the synthesiser has no joint, is planted by turning the head about the neck.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

import numpy as np
from scipy.spatial.transform import Rotation
from takes import halves

from gyml.coach.holds import HOLDS, coach_hold
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import JOINT
from gyml.synth import CATALOG, SynthConfig, synthesize

# fault -> the pose change (degrees per degree of planted fault) that makes it
PLANTS = {
    "side_plank": {"hips_drop": {"hip_abd_l": 1.0, "hip_abd_r": -1.0}, "hips_pike": {"hip_flex_l": 1.0, "hip_flex_r": 1.0},
                   "shoulders_ahead": {"sh_elev_r": -1.0}, "head_dropped": "head"},
    "wall_sit": {"hips_high": {"hip_flex_l": -1.0, "hip_flex_r": -1.0, "knee_l": -1.0, "knee_r": -1.0},
                 "hips_low": {"hip_flex_l": 1.0, "hip_flex_r": 1.0, "knee_l": 1.0, "knee_r": 1.0},
                 "back_off_wall": {"pitch": 1.0, "hip_flex_l": 1.0, "hip_flex_r": 1.0},
                 "knees_ahead": {"knee_l": 1.0, "knee_r": 1.0}, "feet_ahead": {"knee_l": -1.0, "knee_r": -1.0}},
}
MOST = 0.8


def hold(label: str, seed: int, plant=None, degrees: float = 0.0) -> PoseSequence:
    spec = CATALOG[label]
    if isinstance(plant, dict):
        rest = dict(spec.rest)
        for dof, per in plant.items():
            rest[dof] = rest.get(dof, 0.0) + per * degrees
        spec = dataclasses.replace(spec, rest=rest)
    seq = synthesize(spec, 4, seed=seed, config=SynthConfig(noise_m=0.01))
    if plant == "head":
        seq = _drop_head(seq, degrees)
    return seq


def _drop_head(seq: PoseSequence, degrees: float) -> PoseSequence:
    """The head turned about the neck towards the floor (the side the body lies on), by `degrees`."""
    j = seq.joints.astype(np.float64).copy()
    neck, head = j[:, JOINT["neck"]], j[:, JOINT["head"]]
    down = np.array([0.0, -1.0, 0.0])
    axis = np.cross(head - neck, down)
    axis /= np.maximum(np.linalg.norm(axis, axis=-1, keepdims=True), 1e-9)
    j[:, JOINT["head"]] = neck + Rotation.from_rotvec(axis * np.radians(degrees)).apply(head - neck)
    return dataclasses.replace(seq, joints=j.astype(np.float32))


def _blend(clean: PoseSequence, faulty: PoseSequence, start_s: float, end_s: float) -> PoseSequence:
    t = clean.frame_times()
    w = np.clip(np.minimum(t - start_s, end_s - t) + 0.5, 0.0, 1.0)   # ramps of 1 s centred on start and end
    joints = (1 - w)[:, None, None] * clean.joints + w[:, None, None] * faulty.joints
    return dataclasses.replace(clean, joints=joints.astype(np.float32))


def _shares(report) -> dict[str, float]:
    return {s.fault: report.fault_share(s.fault) for s in report.segments}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bodies", type=int, default=6)
    args = ap.parse_args()
    seeds = range(100, 100 + args.bodies)
    for label, plants in PLANTS.items():
        tolerance = {c.fault: c.tolerance for c in HOLDS[label][1]}
        quiet = sum(not coach_hold(hold(label, s), label).segments for s in seeds)
        # with the body's own clean hold as gold: each half of it judged against the other
        halves_quiet = sum(not coach_hold(part, label, gold=ref).segments
                           for s in seeds for part, ref in halves(hold(label, s)))
        print(f"\n{label}: clean holds quiet {quiet} / {len(seeds)}; with their own gold, halves quiet "
              f"{halves_quiet} / {2 * len(seeds)}")
        print(f"{'fault':<18}{'found, alone':>14}{'with gold':>11}{'small: quiet':>14}{'middle third: named':>21}"
              f"{'start/end error s':>19}")
        for fault, plant in plants.items():
            big, small = 2 * tolerance[fault], tolerance[fault] / 3
            found = found_gold = quiet_small = named = 0
            errors = []
            for s in seeds:
                clean, faulty = hold(label, s), hold(label, s, plant, big)
                shares = _shares(coach_hold(faulty, label))
                found += shares.get(fault, 0.0) > MOST and set(shares) == {fault}
                shares = _shares(coach_hold(faulty, label, gold=clean))
                found_gold += shares.get(fault, 0.0) > MOST and set(shares) == {fault}
                quiet_small += not coach_hold(hold(label, s, plant, small), label).segments
                third = clean.duration / 3
                report = coach_hold(_blend(clean, faulty, third, 2 * third), label)
                segments = [g for g in report.segments if g.fault == fault]
                if segments:
                    named += 1
                    errors.append(max(abs(segments[0].start_s - third), abs(segments[-1].end_s - 2 * third)))
            worst = f"{max(errors):.2f}" if errors else "-"
            print(f"{fault:<18}{found:>9} / {len(seeds)}{found_gold:>6} / {len(seeds)}{quiet_small:>9} / {len(seeds)}"
                  f"{named:>16} / {len(seeds)}{worst:>19}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

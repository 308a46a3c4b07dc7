"""Plank takes as a 3D body tracker stores them (17 of MediaPipe's 33 points), with each performer's good take as
gold, for bodies and camera views other than the one performer of ../shared/data/bodyweight_mistakes: do the
hold checks, whose tolerances were reasoned out and tried on that one body, name the same mistakes on others?
Each body's takes are synthesised (one body per performer, 3D-tracker noise), written in that file format, read
back through the same reader as the real takes and judged as `benchmarks/coach_holds.py --takes FOLDER` judges them: the
named mistake over most of the hold, nothing on the good take (each half against the other).

Bodies are 1.55-1.95 m tall and filmed from the side or up to 30 degrees off it (planks are filmed from the
side). Takes per body: good; butt_high (hips piked); butt_low (hips sagging); head_high; head_low;
shoulders_forward (shoulders ahead of the elbows); bad (piked, head dropped and shoulders ahead at once).

Sizes, from what the real takes read against their good take (hip line, neck, upper arm; degrees):
butt_high -34, butt_low +34, bad -39 at the hips; head_high -21, head_low +21 at the neck. Planted here:
- hips: 28 degrees of hip flexion or extension (the hip line moves as much), milder than the real takes but
  well past the 20-degree tolerance. The arms are turned with the trunk's tilt so the elbows stay under the
  shoulders, as on the floor they must: the real pike and sag leave the upper arm within 3 degrees, while
  arms fixed to a tilting trunk would read about 17 degrees of "shoulders ahead" at this size.
- head: 32 degrees at the neck joint, which the neck reading (shoulders to head, against the trunk) sees as
  about 20, the real takes' size.
- shoulders: the upper arm turned 20 degrees so the shoulders sit ~10 cm ahead of the elbows. The real
  shoulders_forward take does not read that way (upper arm unchanged; shoulders narrowed by 0.11 torso
  lengths and the head dropped), which the synthesiser cannot plant: this take tests the upper-arm check.
Every take of a body is the same body and camera; takes differ in their mistake, their length (27-33 s),
a degree or two of posture and their sensor noise (1 cm per joint, drawn per take).

The checks read the body in its own frame and the noise is the same in every direction, so the camera's yaw
changes nothing here; the views guard against a reading that leans on the world's axes. Against the
built-in reference head_high is missed: the file's head point (ears and nose, gyml/synth/writers.py) sits
towards the face from the synthesiser's head joint the reference is measured on, so these good takes read
about 8 degrees more "head dropped" than it (the real good take reads 3 degrees more); with a gold it cancels.

    python benchmarks/coach_plank_takes.py [--bodies 4] [--keep FOLDER]
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
from coach_holds import judge_takes
from takes import run_on_synthesised_takes, synthesised_body, write_synthesised_takes

from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import JOINT
from gyml.synth import CATALOG, SynthConfig, synthesize

HOLD_S = 30.0
NOISE_M = 0.01
# The camera's yaw from the front (gyml/synth/motion.py turns the scene about the vertical): 90 is side-on
VIEWS = (90.0, 70.0, 110.0, 60.0)
HIPS, HEAD, SHOULDERS = 28.0, 32.0, 20.0
# mistake -> (hip flexion: + piked, - sagging; neck flexion: + head towards the floor; shoulders ahead)
MISTAKES = {"good": (0.0, 0.0, 0.0), "butt_high": (HIPS, 0.0, 0.0), "butt_low": (-HIPS, 0.0, 0.0),
            "head_high": (0.0, -HEAD, 0.0), "head_low": (0.0, HEAD, 0.0),
            "shoulders_forward": (0.0, 0.0, SHOULDERS), "bad": (HIPS, HEAD, SHOULDERS)}


def trunk_turn(hip_flexion: float, trunk: float, legs: float) -> float:
    """Degrees the trunk turns off the shoulder-ankle line when the hips bend by `hip_flexion` with the
    shoulders and ankles on the line: trunk * sin(a) = legs * sin(flexion - a)."""
    h = np.radians(hip_flexion)
    return float(np.degrees(np.arctan2(legs * np.sin(h), trunk + legs * np.cos(h))))


def _lengths(seq: PoseSequence) -> tuple[float, float]:
    """Median shoulder-hip and hip-ankle distances (midpoints of the two sides)."""
    j = seq.joints

    def mid(a: str) -> np.ndarray:
        return 0.5 * (j[:, JOINT[f"left_{a}"]] + j[:, JOINT[f"right_{a}"]])

    return (float(np.median(np.linalg.norm(mid("shoulder") - mid("hip"), axis=-1))),
            float(np.median(np.linalg.norm(mid("hip") - mid("ankle"), axis=-1))))


def plank_take(seed: int, height: float, yaw: float, hips: float, head: float, shoulders: float,
               lengths: tuple[float, float], rng: np.random.Generator) -> PoseSequence:
    spec = CATALOG["plank"]
    rest = dict(spec.pose("rest"))
    wobble = {k: float(rng.normal(0.0, 1.0)) for k in ("hip_flex", "neck_flex", "sh_elev", "spine_flex")}
    hips += wobble["hip_flex"]
    # the elbows stay under the shoulders however the hips move; "shoulders ahead" lowers the arm towards
    # the feet, i.e. less elevation
    arms = trunk_turn(hips, *lengths) - shoulders + wobble["sh_elev"]
    for side in ("l", "r"):
        rest[f"hip_flex_{side}"] = rest.get(f"hip_flex_{side}", 0.0) + hips
        rest[f"sh_elev_{side}"] += arms
    rest["neck_flex"] = rest.get("neck_flex", 0.0) + head + wobble["neck_flex"]
    rest["spine_flex"] = rest.get("spine_flex", 0.0) + wobble["spine_flex"]
    spec = dataclasses.replace(spec, rest=rest, mid=rest)
    # the same seed for every take: the synthesiser draws the limbs' proportions from it
    config = SynthConfig(fps=60.0, height=height, tempo_scale=float(rng.uniform(0.9, 1.1)), tempo_drift=0.0,
                         lead_in_s=1.0, lead_out_s=1.0, camera_yaw_deg=yaw, asymmetry_deg=2.0, sway_deg=1.0,
                         noise_m=0.0)
    seq = synthesize(spec, int(round(HOLD_S / spec.tempo_s)), seed=seed, config=config)
    # the sensor noise drawn per take (the synthesiser's would repeat frame for frame across a body's takes)
    return dataclasses.replace(seq, joints=seq.joints + rng.normal(0.0, NOISE_M, seq.joints.shape))


def body(index: int) -> tuple[int, float, float]:
    """(seed, height, camera yaw) of body `index`."""
    return synthesised_body(index, 200, VIEWS)


def body_takes(index: int) -> dict[str, PoseSequence]:
    seed, height, yaw = body(index)
    rng = np.random.default_rng([seed, 1])
    plain = synthesize(CATALOG["plank"], 1, seed=seed, config=SynthConfig(height=height, noise_m=0.0))
    lengths = _lengths(plain)
    return {m: plank_take(seed, height, yaw, *sizes, lengths, rng) for m, sizes in MISTAKES.items()}


def write_takes(folder: Path, bodies: int) -> None:
    write_synthesised_takes(folder, "plank", {f"p{index}": body_takes(index) for index in range(bodies)})


def tally(rows: list[tuple[str, str, bool]], bodies: int) -> None:
    for reference in ("gold", "built-in"):
        mine = [(take, ok) for take, ref, ok in rows if ref == reference]
        print(f"\n{reference}: takes right per mistake")
        for mistake in MISTAKES:
            got = [ok for take, ok in mine if take.split("_plank_")[1] == mistake]
            print(f"  {mistake:<20}{sum(got)} / {len(got)}")
        print(f"{reference}: takes right per body")
        for index in range(bodies):
            _, height, yaw = body(index)
            got = [ok for take, ok in mine if take.startswith(f"p{index}_")]
            print(f"  p{index} ({height:.2f} m, yaw {yaw:>3.0f})   {sum(got)} / {len(got)}")


def main() -> int:
    return run_on_synthesised_takes(__doc__.splitlines()[0], write_takes,
                                    lambda folder, bodies: tally(judge_takes(folder) or [], bodies))


if __name__ == "__main__":
    sys.exit(main())

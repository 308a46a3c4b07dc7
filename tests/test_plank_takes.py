"""A plank take and its performer's good take as a 3D tracker stores them (17-landmark CSV), coached end to end
with the good take as gold (benchmarks/coach_plank_takes.py runs this on more bodies and mistakes)."""

import dataclasses

from gyml.coach.holds import coach_hold
from gyml.pose.readers import read_pose
from gyml.synth import CATALOG, SynthConfig, synthesize
from gyml.synth.writers import write_tracker_csv

FPS = 30.0


def _take(tmp_path, name, hip_extension=0.0):
    spec = CATALOG["plank"]
    rest = dict(spec.pose("rest"))
    for side in ("l", "r"):
        rest[f"hip_flex_{side}"] = rest.get(f"hip_flex_{side}", 0.0) - hip_extension
    spec = dataclasses.replace(spec, rest=rest)
    # one body filmed from the side, the same for both takes; the noise differs with the hold's length
    config = SynthConfig(fps=FPS, height=1.7, tempo_scale=1.0 + hip_extension / 300, tempo_drift=0.0,
                         lead_in_s=0.5, lead_out_s=0.5, camera_yaw_deg=80.0, asymmetry_deg=2.0,
                         sway_deg=1.0, noise_m=0.01)
    path = write_tracker_csv(synthesize(spec, 4, seed=300, config=config), tmp_path / name)
    seq = read_pose(path, fps=FPS)
    assert seq.metadata.get("absent_joints")   # read as the 17-point tracker file it is
    return seq


def test_a_sagging_plank_in_a_tracker_file_is_found_against_the_good_take(tmp_path):
    good = _take(tmp_path, "good.csv")
    # 28 degrees of hip extension: the hips ~15 cm below the shoulder-ankle line, past the 20-degree tolerance
    sag = coach_hold(_take(tmp_path, "butt_low.csv", hip_extension=28.0), "plank", gold=good)
    assert sag.reference == "gold" and sag.time_under_tension_s > 10.0
    assert sag.fault_share("hips_sag") > 0.8
    assert {s.fault for s in sag.segments} == {"hips_sag"}
    half = len(good) // 2
    first, second = good.slice(0, half), good.slice(half, len(good))
    for part, gold in ((first, second), (second, first)):
        quiet = coach_hold(part, "plank", gold=gold)
        assert quiet.time_under_tension_s > 4.0
        assert quiet.segments == []


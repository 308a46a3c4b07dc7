"""The exercises the real data showed the catalog lacked (wall and handstand push-ups): synthesised, counted
on synthesised and real clips, and coached."""

import numpy as np
import pytest
from conftest import shared_path

from gyml.coach.session import coach_session
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import ANGLE_NAMES
from gyml.report.analysis import ExercisePrediction
from gyml.reps.counter import count_reps
from gyml.reps.signal import angle_table
from gyml.synth.catalog import CATALOG
from gyml.synth.motion import synthesize

ADDED = ("wall_push_up", "handstand_push_up")

# Reps visible in these UCF101 clips, counted by eye from the clips' elbow-angle curves (full bend and
# straighten again); the clips are not rep-labelled.
EYE_COUNTS = {"v_WallPushups_g08_c01": 1, "v_WallPushups_g09_c03": 1, "v_WallPushups_g12_c01": 1,
              "v_WallPushups_g13_c05": 2, "v_WallPushups_g14_c03": 3, "v_WallPushups_g15_c05": 2,
              "v_HandStandPushups_g10_c04": 3, "v_HandStandPushups_g11_c03": 2,
              "v_HandStandPushups_g12_c07": 4, "v_HandStandPushups_g13_c01": 4,
              "v_HandStandPushups_g15_c05": 2}


@pytest.mark.parametrize("label", ADDED)
@pytest.mark.parametrize("seed", [3, 11])
def test_added_exercises_synthesise_and_count(label, seed):
    seq = synthesize(label, 6, seed=seed)
    assert count_reps(seq).count == 6


def test_added_exercises_look_like_the_real_ones():
    """The synthesised poses sit where the real UCF101 people's do: the trunk upright and leaning in for
    the wall push-up, upside down for the handstand push-up, the elbows bending by tens of degrees."""
    trunk = ANGLE_NAMES.index("trunk_inclination")
    elbow = ANGLE_NAMES.index("left_elbow_flexion")
    real = {"wall_push_up": "v_WallPushups_g12_c01", "handstand_push_up": "v_HandStandPushups_g13_c01"}
    for label, clip in real.items():
        real_angles = angle_table(PoseSequence.load(shared_path("ucf101", "poses", f"{clip}.npz")))
        synth_angles = angle_table(synthesize(label, 4, seed=2))
        assert abs(np.median(synth_angles[:, trunk]) - np.median(real_angles[:, trunk])) < 15
        for a in (real_angles, synth_angles):
            lo, hi = np.percentile(a[:, elbow], [10, 90])
            assert hi - lo > 30


@pytest.mark.parametrize("clip", sorted(EYE_COUNTS))
def test_real_clips_are_counted_as_seen(clip):
    seq = PoseSequence.load(shared_path("ucf101", "poses", f"{clip}.npz"))
    assert abs(count_reps(seq).count - EYE_COUNTS[clip]) <= 1


@pytest.mark.parametrize("label,fault", [("wall_push_up", "hips_sag"), ("wall_push_up", "shallow"),
                                         ("handstand_push_up", "elbows_flare"),
                                         ("handstand_push_up", "shallow")])
def test_added_exercises_are_coached(label, fault):
    assert fault in CATALOG[label].faults
    seq = synthesize(label, 6, {4: fault}, seed=5)
    reps = count_reps(seq)
    _, extras = coach_session(seq, reps, ExercisePrediction(label, CATALOG[label].name, 1.0))
    flagged = {m["rep"] for m in extras["rep_metrics"] if fault in m["faults"]}
    assert flagged == {4}

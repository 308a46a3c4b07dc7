import numpy as np
import pytest

from gyml.errors import GymlError
from gyml.pose.skeleton import ANGLE_NAMES, JOINT, joint_angles
from gyml.synth import CATALOG, SynthConfig, synthesize
from gyml.synth.faults import FAULTS, parse_fault_spec


@pytest.mark.parametrize("label", list(CATALOG))
def test_every_catalog_exercise_is_plausible(label):
    spec = CATALOG[label]
    seq = synthesize(label, 4, seed=1)
    a = joint_angles(seq.joints)
    for side in ("left", "right"):
        assert a[:, ANGLE_NAMES.index(f"{side}_knee_flexion")].max() < 165
        assert a[:, ANGLE_NAMES.index(f"{side}_elbow_flexion")].max() < 165
    assert len(seq.metadata["segments"]) == (0 if spec.isometric else 4)
    y = seq.joints[..., 1]
    if spec.support == "floor":
        assert abs(np.nanmin(y)) < 0.05  # something touches the floor, nothing sinks through it
        if spec.posture == "standing":
            feet = seq.joints[:, [JOINT["left_foot"], JOINT["right_foot"]], 1]
            assert np.nanmedian(feet) < 0.12
    else:
        hands = seq.joints[:, [JOINT["left_hand"], JOINT["right_hand"]]]
        assert np.nanstd(hands[..., 1]) < 0.05  # hands stay on the bar


@pytest.mark.parametrize("kind,exercise,angle,direction", [
    ("shallow", "squat", "left_knee_flexion", -1),
    ("knees_cave", "squat", "knee_width_ratio", -1),
    ("hips_sag", "push_up", "body_line", +1),
    ("hips_pike", "push_up", "body_line", -1),
    ("partial_range", "bicep_curl", "left_elbow_flexion", -1),
    ("elbows_flare", "push_up", "left_shoulder_abduction", +1),
    ("rounded_back", "deadlift", "trunk_inclination", +1),
])
def test_faults_change_the_joints_they_claim(kind, exercise, angle, direction):
    clean = synthesize(exercise, 3, seed=5, config=SynthConfig(randomize=False, noise_m=0))
    faulty = synthesize(exercise, 3, {2: kind}, seed=5, config=SynthConfig(randomize=False, noise_m=0))
    i = ANGLE_NAMES.index(angle)
    mid = clean.metadata["segments"][1]["mid"]
    mid_f = faulty.metadata["segments"][1]["mid"]
    change = joint_angles(faulty.joints)[mid_f, i] - joint_angles(clean.joints)[mid, i]
    assert direction * change > 0.1 * (1 if "ratio" in angle else 50)
    # the other reps are untouched: the same joints (features normalised by the whole set's median torso
    # length may shift by a fraction of a percent, so the joints themselves are compared)
    first = clean.metadata["segments"][0]["mid"]
    np.testing.assert_allclose(faulty.joints[first], clean.joints[first], atol=1e-6)


def test_too_fast_shortens_the_rep():
    seq = synthesize("squat", 4, {3: "too_fast"}, seed=0, config=SynthConfig(randomize=False))
    d = [s["end"] - s["start"] for s in seq.metadata["segments"]]
    assert d[2] < 0.6 * d[0]


def test_fault_spec_parsing_and_validation():
    assert parse_fault_spec("shallow@2, knees_cave@5") == {2: "shallow", 5: "knees_cave"}
    with pytest.raises(GymlError):
        parse_fault_spec("shallow")
    with pytest.raises(GymlError):
        parse_fault_spec("wobbly@2")
    with pytest.raises(GymlError, match="does not apply"):
        synthesize("front_raise", 3, {1: "knees_cave"})
    with pytest.raises(GymlError, match="has 3 reps"):
        synthesize("squat", 3, {5: "shallow"})
    assert set(FAULTS) >= {"shallow", "knees_cave", "hips_sag", "hips_pike", "rounded_back", "partial_range",
                           "elbows_flare", "asymmetric_arms", "too_fast"}


def test_variation_is_seeded():
    a, b, c = synthesize("squat", 3, seed=1), synthesize("squat", 3, seed=1), synthesize("squat", 3, seed=2)
    assert np.array_equal(a.joints, b.joints, equal_nan=True)
    assert a.metadata["variation"] != c.metadata["variation"]


def test_a_fault_planted_in_one_half_of_a_rep_leaves_the_turning_point_clean():
    from gyml.pose.kinematics import angle_table
    from gyml.pose.skeleton import ANGLE_NAMES

    assert parse_fault_spec("hips_sag:ascent@3") == {3: "hips_sag:ascent"}
    for bad in ("shallow:ascent@3", "hips_sag:sideways@3"):
        with pytest.raises(GymlError):
            parse_fault_spec(bad)
    config = SynthConfig(randomize=False, noise_m=0.0)
    clean = synthesize("push_up", 4, seed=0, config=config)
    faulty = synthesize("push_up", 4, {3: "hips_sag:ascent"}, seed=0, config=config)
    line = ANGLE_NAMES.index("body_line")
    diff = angle_table(faulty)[:, line] - angle_table(clean)[:, line]
    rep = faulty.metadata["segments"][2]
    assert rep["fault"] == "hips_sag:ascent"
    assert abs(diff[rep["mid"] - 1]) < 1.0                               # the bottom is clean
    assert diff[rep["mid"]:rep["end"]].max() > 15                        # the way up sags
    assert abs(diff[rep["start"]:rep["mid"] - 2]).max() < 1.0            # the way down is clean
    assert abs(diff[: rep["start"]]).max() < 1e-6

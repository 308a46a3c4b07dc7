"""The coach against the person's own gold (centimetres of their body), against their own best reps,
and grouped cues that stay machine-readable."""

import dataclasses
import re

import numpy as np
import pytest
from conftest import shared_path

from gyml.coach.compare import compare, gold_profile, measure_reps, shin_inclination
from gyml.coach.feedback import phrase
from gyml.coach.geometry import hip_height
from gyml.coach.learned import fit_tolerances
from gyml.coach.own_reference import closing_run
from gyml.pipeline import analyze_sequence
from gyml.pose.kinematics import Kinematics
from gyml.pose.readers import read_pose
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import JOINT
from gyml.reps.counter import count_reps
from gyml.synth import SynthConfig, synthesize


def _take(name: str) -> PoseSequence:
    return read_pose(shared_path("bodyweight_mistakes", name), fps=60.0)


def _faults(analysis):
    return [f for f in analysis.feedback if f.severity == "fault"]


def test_the_good_lunge_take_is_quiet_judged_on_its_second_half_against_its_first():
    good = _take("lunge_good.csv")
    half = len(good) // 2
    a = analyze_sequence(good.slice(half, len(good)), "good", exercise="lunge", gold=good.slice(0, half)).analysis
    assert a.reps["count"] >= 4 and _faults(a) == [], [f.message for f in a.feedback]


@pytest.mark.parametrize("mistake,kind", [("high", "not_low_enough"), ("long", "stride_long")])
def test_a_named_lunge_mistake_is_found_on_most_reps(mistake, kind):
    gold = _take("lunge_good.csv")
    a = analyze_sequence(_take(f"lunge_{mistake}.csv"), mistake, exercise="lunge", gold=gold).analysis
    reps = {r for f in _faults(a) if f.kind == kind for r in f.reps}
    assert len(reps) > a.reps["count"] / 2, [f.message for f in a.feedback]
    cue = next(f for f in _faults(a) if f.kind == kind)
    assert " cm " in cue.message


def test_a_lunge_whose_hips_stop_high_is_told_against_the_built_in_reference_and_the_good_take_is_not():
    high = analyze_sequence(_take("lunge_high.csv"), "high", exercise="lunge").analysis
    told = {r for f in _faults(high) if f.kind == "not_low_enough" for r in f.reps}
    assert len(told) > high.reps["count"] / 2, [f.message for f in high.feedback]
    good = analyze_sequence(_take("lunge_good.csv"), "good", exercise="lunge").analysis
    assert _faults(good) == [], [f.message for f in good.feedback]


def test_against_a_textbook_rep_each_legs_typical_lunge_is_judged_not_each_rep():
    from gyml.coach.geometry import RepGeometry, pooled_by_side

    reps = [RepGeometry(i, 0, drop, 0.8, 3.0, 0.9) for i, drop in enumerate((0.40, 0.30, 0.42, 0.33, 0.44))]
    pooled = pooled_by_side(reps, ["left", "right", "left", "right", "left"])
    assert [g.hip_drop for g in pooled] == pytest.approx([0.42, 0.315, 0.42, 0.315, 0.42])


def _fading_squats(reps: int = 10, fading: tuple[int, ...] = (8, 9, 10)) -> PoseSequence:
    """A squat set whose last reps stop well short of the first ones' depth (the catalog's shallow fault)."""
    return synthesize("squat", reps, {r: "shallow" for r in fading}, seed=3,
                      config=SynthConfig(randomize=False, noise_m=0.004))


def test_the_own_best_reps_show_a_planted_fatigue():
    seq = _fading_squats()
    a = analyze_sequence(seq, "fading", exercise="squat").analysis
    assert a.reps["count"] == 10
    warns = [f for f in a.feedback if f.kind == "shallower_than_best"]
    assert warns and warns[0].severity == "warn", [f.message for f in a.feedback]
    assert set(warns[0].reps) == {8, 9, 10}
    assert warns[0].message.startswith("Reps 8-10 were ") and "% shallower than your best reps" in warns[0].message

    # with the person's own gold the gold is the reference: the set is not also held to its own best reps
    gold = synthesize("squat", 4, seed=4, config=SynthConfig(randomize=False, noise_m=0.004))
    with_gold = analyze_sequence(seq, "fading", exercise="squat", gold=gold).analysis
    assert with_gold.extras["coach"]["reference"] == "own gold"
    assert not [f for f in with_gold.feedback if f.kind in ("shallower_than_best", "slower_than_best", "posture_drift")]


def test_a_lunge_set_led_by_each_leg_in_turn_is_held_to_each_legs_own_best():
    """The good real take leads with the right leg for five reps and the left for six, the left some 20%
    shallower: before, its last six reps were told "fatigue shows"."""
    a = analyze_sequence(_take("lunge_good.csv"), "good", exercise="lunge").analysis
    assert not [f.message for f in a.feedback if f.severity == "warn"]
    # a lunge set that fades on both legs at its end is still told
    seq = synthesize("lunge", 10, {r: "shallow" for r in (7, 8, 9, 10)}, seed=3,
                     config=SynthConfig(randomize=False, noise_m=0.004))
    warns = [f for f in analyze_sequence(seq, "fading", exercise="lunge").analysis.feedback
             if f.kind == "shallower_than_best"]
    assert warns and {9, 10} <= set(warns[0].reps)


def test_a_steady_set_shows_no_fatigue():
    seq = synthesize("squat", 10, seed=4, config=SynthConfig(randomize=False, noise_m=0.004))
    a = analyze_sequence(seq, "steady", exercise="squat").analysis
    assert [f.message for f in a.feedback if f.severity == "warn"] == []


def test_grouped_cues_carry_their_reps_and_kind():
    seq = synthesize("squat", 8, {2: "shallow", 3: "shallow", 4: "shallow", 7: "shallow"}, seed=1)
    a = analyze_sequence(seq, "set", exercise="squat").analysis
    cue = next(f for f in a.feedback if f.severity == "fault")
    assert cue.rep is None and cue.reps == [2, 3, 4, 7] and cue.kind == "shallow"
    as_json = cue.to_dict()
    assert as_json["reps"] == [2, 3, 4, 7] and as_json["kind"] == "shallow"
    single = synthesize("squat", 8, {5: "knees_cave"}, seed=1)
    one = next(f for f in analyze_sequence(single, "s", exercise="squat").analysis.feedback if f.severity == "fault")
    assert one.rep == 5 and one.reps == [5] and one.kind == "knees_cave"


@pytest.mark.parametrize("shift,kind", [(0.08, "stance_wide"), (-0.05, "stance_narrow")])
def test_a_wider_or_narrower_squat_stance_than_the_gold_is_named_in_centimetres(shift, kind):
    config = SynthConfig(randomize=False, noise_m=0.0)
    gold = synthesize("squat", 4, seed=0, config=config)
    moved = gold.joints.copy()
    # each leg moved `shift` metres outwards (both: a stance 2 * shift wider)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        for part in ("knee", "ankle", "foot"):
            axis = gold.joints[:, JOINT["left_hip"]] - gold.joints[:, JOINT["right_hip"]]
            axis[:, 1] = 0
            axis /= np.linalg.norm(axis, axis=1, keepdims=True)
            moved[:, JOINT[f"{side}_{part}"]] += sign * shift * axis
    seq = PoseSequence(moved, gold.confidence, gold.fps, source="synth")
    a = analyze_sequence(seq, kind, exercise="squat", gold=gold).analysis
    told = [f for f in _faults(a) if f.kind == kind]
    assert told and len(told[0].reps) == a.reps["count"], [f.message for f in a.feedback]
    said = float(re.search(r"(\d+) cm", told[0].message).group(1))
    assert abs(said - abs(200 * shift)) <= 2, told[0].message
    quiet = analyze_sequence(gold, "same", exercise="squat", gold=gold).analysis
    assert _faults(quiet) == []


def test_a_squat_set_whose_hips_stop_12_cm_higher_than_the_gold_is_told_so():
    gold = synthesize("squat", 5, seed=0, config=SynthConfig(randomize=False, noise_m=0.004))
    # another take of the same body, each rep going to 80% of the catalog's depth
    high = synthesize("squat", 6, seed=2, config=SynthConfig(depth=0.8, height=1.75, noise_m=0.004))
    higher_by = hip_height(high.joints).min() - hip_height(gold.joints).min()
    assert 0.10 < higher_by < 0.14
    a = analyze_sequence(high, "high", exercise="squat", gold=gold).analysis
    told = {r for f in _faults(a) if f.kind in ("not_low_enough", "shallow") for r in f.reps}
    assert len(told) > a.reps["count"] / 2, [f.message for f in a.feedback]
    # the feet stay where they were: no stance finding for a shallower squat
    assert not [f for f in _faults(a) if f.kind.startswith("stance")], [f.message for f in a.feedback]


def test_learned_tolerances_separate_what_the_clips_separate():
    # one kind tells the wrong clips apart, the others are noise: only that check is switched on
    rng = np.random.default_rng(0)
    wrong = [True] * 10 + [False] * 10
    scores = [{"hips_sag": (20 if w else 5) + rng.normal(0, 2), "hips_pike": rng.normal(0, 5),
               "knees_bent": rng.normal(0, 5), "head_dropped": rng.normal(0, 5), "shallow": rng.normal(0, 0.1),
               "elbows_flare": rng.normal(0, 5)} for w in wrong]
    limits = fit_tolerances(scores, wrong)
    assert limits["hips_sag"] is not None and 8 < limits["hips_sag"] < 17
    assert sum(v is not None for v in limits.values()) == 1


def test_a_shallow_rep_mid_set_is_told_once_and_not_called_fatigue():
    seq = synthesize("squat", 8, {3: "shallow", 6: "shallow"}, seed=3,
                     config=SynthConfig(randomize=False, noise_m=0.004))
    a = analyze_sequence(seq, "mid-set", exercise="squat").analysis
    shallow = {r for f in a.feedback if f.kind == "shallow" for r in f.reps}
    assert shallow == {3, 6}, [f.message for f in a.feedback]
    assert not [f.message for f in a.feedback if f.kind == "shallower_than_best"]


def test_a_rushed_rep_in_a_slow_set_is_told_against_the_persons_own_pace():
    # the set 1.6 times slower than the catalog's gold; rep 4 at 45% of the set's pace (72% of the gold's)
    # is rushed all the same
    seq = synthesize("push_up", 8, {4: "too_fast"}, seed=5,
                     config=SynthConfig(randomize=False, tempo_scale=1.6, noise_m=0.004))
    a = analyze_sequence(seq, "slow", exercise="push_up").analysis
    rushed = {r for f in a.feedback if f.kind == "too_fast" for r in f.reps}
    assert rushed == {4}, [f.message for f in a.feedback]


def test_a_slow_set_is_not_told_it_rushes_a_rep_still_slower_than_the_gold():
    # a very slow set (2.6 times the gold's rep time) with one rep at 45% of it, still slower than the gold
    seq = synthesize("push_up", 8, {4: "too_fast"}, seed=5,
                     config=SynthConfig(randomize=False, tempo_scale=2.6, noise_m=0.004))
    a = analyze_sequence(seq, "very slow", exercise="push_up").analysis
    assert not [f.message for f in a.feedback if f.kind == "too_fast"]


@pytest.mark.parametrize("behind,told", [
    ([0, 0, 0, 0, 0, 0, 0, 1, 1, 1], {8, 9, 10}),          # the set fades at its end
    ([0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1], {8, 10, 11, 12}),  # fading, one rep holding up in between
    ([1, 1, 0, 0, 0, 0, 0, 0, 0, 0], set()),               # a slow start is a warm-up
    ([0, 0, 1, 0, 0, 0, 0, 0, 1, 1], {9, 10}),             # the mid-set rep is a one-off
    ([0, 0, 0, 0, 0, 0, 0, 0, 0, 1], set()),               # one last rep is no trend
])
def test_fatigue_is_told_only_for_the_reps_that_end_the_set(behind, told):
    order = list(range(1, len(behind) + 1))
    assert closing_run([bool(b) for b in behind], order) == told


@pytest.mark.parametrize("fault", ["shallow", "forward_lean"])
def test_a_set_behind_its_best_only_at_the_start_gets_no_fatigue_warning(fault):
    # the first three reps stop short or lean (warming up), the rest are good: the reference tells the
    # fault, and nothing is called fatigue (leaning first reps used to be told "fatigue shows")
    seq = synthesize("squat", 10, {r: fault for r in (1, 2, 3)}, seed=3,
                     config=SynthConfig(randomize=False, noise_m=0.004))
    a = analyze_sequence(seq, "warm-up", exercise="squat").analysis
    assert {r for f in a.feedback if f.kind == fault for r in f.reps} == {1, 2, 3}
    assert not [f.message for f in a.feedback if f.kind in ("shallower_than_best", "slower_than_best",
                                                             "posture_drift")]


def test_a_set_whose_few_best_reps_are_scattered_to_its_end_is_not_told_fatigue():
    # two reps of three fall short, the deep ones scattered up to the last rep: the set never faded from
    # its best, and its first rep used to be told "fatigue shows" (a closing run over the whole set)
    shallow = (1, 2, 4, 5, 7, 8)
    seq = synthesize("squat", 9, {r: "shallow" for r in shallow}, seed=3,
                     config=SynthConfig(randomize=False, noise_m=0.004))
    a = analyze_sequence(seq, "scattered", exercise="squat").analysis
    assert a.reps["count"] == 9
    assert {r for f in a.feedback if f.kind == "shallow" for r in f.reps} == set(shallow)
    assert not [f.message for f in a.feedback if f.kind == "shallower_than_best"]


def test_real_squats_are_told_to_lean_less_only_past_their_own_shins():
    """Against the built-in squat (a textbook rep with an upright trunk), three of four real UCF101 squat
    reps were told to keep the chest up. The trunk is now held against the person's own shins (about
    parallel, within 20 degrees), so ordinary squats are quiet and a lean beyond the shins is still told."""
    folder = shared_path("ucf101", "poses")
    reps = told = 0
    for path in sorted(folder.glob("v_BodyWeightSquats_*.npz")):
        a = analyze_sequence(read_pose(path), "x", exercise="squat").analysis
        reps += a.reps["count"]
        told += sum("forward_lean" in m["faults"] for m in a.extras.get("rep_metrics", []))
    assert reps > 80
    assert told < reps / 3, (told, reps)


def test_a_squat_leaning_past_its_shins_is_told_against_them():
    for seed in (0, 1):
        clean = synthesize("squat", 6, seed=seed)
        k = Kinematics(clean)
        for r in measure_reps(clean, count_reps(clean, kinematics=k), kinematics=k):
            assert r.angles_mid["trunk_inclination"] - r.shins_mid < 20   # the textbook rep is inside the rule
            # read round the turning point, the shins' angle there
            around = shin_inclination(k.filled_joints)[r.mid - 3:r.mid + 4]
            assert around.min() <= r.shins_mid <= around.max()
        leaning = synthesize("squat", 6, {3: "forward_lean"}, seed=seed)
        faults = [f for f in analyze_sequence(leaning, "x", exercise="squat").analysis.feedback
                  if f.severity == "fault"]
        assert [(f.reps, f.kind) for f in faults] == [([3], "forward_lean")]
        assert "further forward than your shins" in faults[0].message
        # with a recording of the person's own as the gold, the gold's lean is the reference, as before
        own = analyze_sequence(leaning, "x", exercise="squat", gold=synthesize("squat", 4, seed=seed)).analysis
        told = [f for f in own.feedback if f.kind == "forward_lean"]
        assert told and "than the reference" in told[0].message


def test_arms_are_not_compared_side_against_side_on_reps_the_body_was_lost_for():
    # RepCount's stu3_5, a bench press MediaPipe found in 67% of frames: "your elbows move unevenly, one side
    # 49 degrees less" was told on 11 of 14 reps, 9 of them reps the body was lost for (an arm's path drawn
    # across the gap); reps it was seen for are still judged
    seq = read_pose(shared_path("repcount_pose", "dev", "stu3_5.npy"))
    a = analyze_sequence(seq, "stu3_5", exercise="bench_press").analysis
    metrics = a.extras["rep_metrics"]
    lost = {m["rep"] for m in metrics if seq.present[m["frames"]["start"]:m["frames"]["end"] + 1].mean() < 0.8}
    uneven = {m["rep"] for m in metrics if "asymmetric_arms" in m["faults"]}
    assert len(lost) >= 5 and not lost & uneven
    assert uneven, "reps the body was seen for are still compared side against side"


def _lead(angles: dict) -> str:
    """The rep's leading leg: the more bent hip at the turning point."""
    return "left" if angles["left_hip_flexion"] >= angles["right_hip_flexion"] else "right"


def _knees_by_role(measures, front: float, rear: float):
    """The reps' knees at the turning point tracking `front` and `rear` degrees outwards by the leg's role (the
    leading leg: the more bent hip), seen from the front (a side view leaves the knees unjudged)."""
    out = []
    for r in measures:
        lead = _lead(r.angles_mid)
        angles = dict(r.angles_mid)
        for side in ("left", "right"):
            angles[f"{side}_knee_out"] = front if side == lead else rear
        out.append(dataclasses.replace(r, angles_mid=angles, side_view=0.0))
    return out


def test_an_alternating_lunge_holds_each_knee_against_the_gold_knee_of_the_same_role():
    # The real good take leads with the right leg, then the left. Its front knees tracking outwards and its
    # rear ones inwards, in the gold and in the set alike: by side the gold's median mixes the two, and rear
    # knees read as caving 8 degrees in
    good = _take("lunge_good.csv")
    angles = Kinematics(good).angles
    rest = angles[int(np.argmax(good.present))]
    measures = measure_reps(good, count_reps(good), rest_pose=rest)
    gold = _knees_by_role(measures, front=10.0, rear=-6.0)
    profile = gold_profile(gold)
    user = list(gold)
    checks = ("knees_cave",)
    assert [f for f in compare(user, profile, ("knee", "hip"), checks) if f.kind == "knees_cave"] == []
    # a front knee that does fall inwards is still told
    lead = _lead(user[2].angles_mid)
    user[2] = dataclasses.replace(user[2], angles_mid=user[2].angles_mid | {f"{lead}_knee_out": -4.0})
    told = [f for f in compare(user, profile, ("knee", "hip"), checks) if f.kind == "knees_cave"]
    assert [f.rep for f in told] == [user[2].index]
    # and the cue says which knee; both knees falling in are told as the knees
    assert "front knee falls inwards" in phrase(told, "lunge", len(user))[0].message
    rear = "right" if lead == "left" else "left"
    both = user[2].angles_mid | {f"{lead}_knee_out": -4.0, f"{rear}_knee_out": -20.0}
    user[2] = dataclasses.replace(user[2], angles_mid=both)
    told = [f for f in compare(user, profile, ("knee", "hip"), checks) if f.kind == "knees_cave"]
    assert "your knees fall inwards" in phrase(told, "lunge", len(user))[0].message


def test_a_one_frame_glitch_at_the_bottom_of_a_rep_is_not_a_fault():
    # A tracker's one-frame slip of a knee at the turning point: read on that frame alone, the rep's knee
    # "caved"; the pose there is read over a tenth of a second
    config = SynthConfig(randomize=False, noise_m=0.0, fps=30.0)
    gold = synthesize("squat", 5, seed=0, config=config)
    k = Kinematics(gold)
    reps = measure_reps(gold, count_reps(gold, kinematics=k), kinematics=k)
    joints = gold.joints.copy()
    bottom = reps[2].mid
    axis = joints[bottom, JOINT["left_hip"]] - joints[bottom, JOINT["right_hip"]]
    joints[bottom, JOINT["left_knee"]] -= 0.15 * axis / np.linalg.norm(axis)
    glitch = PoseSequence(joints, gold.confidence, gold.fps, source=gold.source)
    a = analyze_sequence(glitch, "glitch", exercise="squat", gold=gold).analysis
    assert _faults(a) == [], [f.message for f in a.feedback]
    # the same slip held over the bottom of the rep is a fault
    held = gold.joints.copy()
    held[bottom - 4:bottom + 5, JOINT["left_knee"]] -= 0.15 * axis / np.linalg.norm(axis)
    a = analyze_sequence(PoseSequence(held, gold.confidence, gold.fps, source=gold.source), "held",
                         exercise="squat", gold=gold).analysis
    assert [(f.kind, f.reps) for f in _faults(a)] == [("knees_cave", [3])], [f.message for f in a.feedback]


def test_a_lunge_stride_survives_a_tracker_that_merges_the_ankles_at_the_bottom():
    """Filmed from the side, a tracker can lose the far leg just when the hips are lowest and draw both
    ankles at one spot; the stride is the spread the feet hold, so that moment must not read as a
    short step."""
    gold = synthesize("lunge", 6, seed=2, config=SynthConfig(randomize=False, noise_m=0.004))
    user = dataclasses.replace(gold, joints=gold.joints.copy())
    height = hip_height(user.joints)
    lows = [i for i in range(3, len(height) - 3) if height[i] == height[i - 3:i + 4].min()
            and height[i] < np.percentile(height, 20)]
    assert len(lows) >= 6
    for i in lows:
        user.joints[i - 3:i + 4, JOINT["left_ankle"]] = user.joints[i - 3:i + 4, JOINT["right_ankle"]]
    a = analyze_sequence(user, "merged ankles", exercise="lunge", gold=gold).analysis
    assert a.reps["count"] == 6
    assert not [f for f in _faults(a) if f.kind.startswith("stride")], [f.message for f in a.feedback]


@pytest.mark.parametrize("mistake", ["long", "back_bent"])
def test_a_real_lunge_take_is_never_told_to_take_a_longer_step(mistake):
    """lunge_long's steps are 20-40% longer than the good take's and back_bent's as long: a cue to step
    further is wrong on both."""
    a = analyze_sequence(_take(f"lunge_{mistake}.csv"), mistake, exercise="lunge", gold=_take("lunge_good.csv")).analysis
    assert not [f for f in a.feedback if f.kind == "stride_short"], [f.message for f in a.feedback]


def test_reps_warned_of_fatigue_are_not_praised_as_matching_the_reference():
    # reps 9-10 fall 25% short of the set's best with no fault against the reference
    from gyml.coach.compare import Finding

    findings = [Finding(r, "shallower_than_best", "mid", "knee", 25.0, severity="warn") for r in (9, 10)]
    feedback = phrase(findings, "squat", 10)
    warned = {r for f in feedback if f.kind == "shallower_than_best" for r in f.reps}
    praised = [f for f in feedback if f.severity == "info" and "reference" in f.message and f.reps]
    assert warned == {9, 10} and praised
    assert not warned & set(praised[0].reps) and praised[0].reps == list(range(1, 9))
    assert "well done" not in praised[0].message


def test_a_squat_stance_survives_a_tracker_slip_at_the_highest_hips():
    """The stance is read standing; one frame (the highest hips) let a slip of the tracker that draws both
    ankles at one spot decide it, and the set was told to widen its stance."""
    gold = synthesize("squat", 6, seed=2, config=SynthConfig(randomize=False, noise_m=0.004))
    user = dataclasses.replace(gold, joints=gold.joints.copy())
    height = hip_height(user.joints)
    for seg in count_reps(gold).segments:   # five frames (a sixth of a second) round each rep's highest hips
        i = seg.start + int(np.argmax(height[seg.start:seg.end + 1]))
        user.joints[max(0, i - 2):i + 3, JOINT["left_ankle"]] = user.joints[max(0, i - 2):i + 3, JOINT["right_ankle"]]
    a = analyze_sequence(user, "merged ankles", exercise="squat", gold=gold).analysis
    assert a.reps["count"] == 6
    assert not [f for f in _faults(a) if f.kind.startswith("stance")], [f.message for f in a.feedback]


def _tracker_breaks_on_last_reps(seq: PoseSequence, reps: int = 2, seconds: float = 0.3) -> PoseSequence:
    """`seq` with the body read upside down (mirrored about the pelvis' height) for `seconds` either side of
    the turning point of its last `reps` reps: the tracker losing the body, as on RepCount's stu1_59."""
    joints = seq.joints.copy()
    half = int(seconds * seq.fps)
    for seg in count_reps(seq).segments[-reps:]:
        frames = slice(seg.mid - half, seg.mid + half + 1)
        joints[frames, :, 1] = 2 * joints[frames, JOINT["pelvis"], 1:2] - joints[frames, :, 1]
    return dataclasses.replace(seq, joints=joints)


def test_a_reading_broken_on_the_last_reps_is_said_not_told_as_a_posture_drift():
    # RepCount's stu1_59 (a sit-up whose tracking breaks near its end) was told "your posture drifts 153
    # degrees from your best reps": reps read upside down are not compared with the best ones, and the
    # report says why they are not judged
    seq = synthesize("squat", 10, seed=1, config=SynthConfig(randomize=False, noise_m=0.004))
    a = analyze_sequence(_tracker_breaks_on_last_reps(seq), "broken", exercise="squat").analysis
    assert a.reps["count"] == 10
    assert not [f.message for f in a.feedback if f.kind == "posture_drift"]
    # read upside down, neither their form nor their fatigue is judged, and one note says so
    note = [f for f in a.feedback if f.severity == "info" and "read upside down" in f.message]
    assert note and note[0].reps == [9, 10] and "nor fatigue" in note[0].message, [f.message for f in a.feedback]
    assert not [f for f in a.feedback if "not read clearly" in f.message]
    # and they are not praised either ("All 10 reps matched" beside that note)
    praise = [f for f in a.feedback if "matching the reference" in f.message or "matched the reference" in f.message]
    assert praise and not set(praise[0].reps) & {9, 10}, [f.message for f in praise]
    # nor scored as if perfect: an app showing the scores shows them as not judged
    scores = {m["rep"]: (m["score"], m["form_judged"]) for m in a.extras["rep_metrics"]}
    assert scores[9] == scores[10] == (None, False) and all(scores[r][1] and scores[r][0] > 0 for r in range(1, 9))
    # a set whose trunk does lean further on its last reps is still told so
    drifting = synthesize("squat", 10, {r: "forward_lean" for r in (8, 9, 10)}, seed=1,
                          config=SynthConfig(randomize=False, noise_m=0.004))
    told = [f for f in analyze_sequence(drifting, "drifting", exercise="squat").analysis.feedback
            if f.kind == "posture_drift"]
    assert told and told[0].reps == [8, 9, 10] and "drifts 2" in told[0].message, [f.message for f in told]


def test_a_real_set_whose_tracking_breaks_is_not_told_an_absurd_posture_drift():
    seq = read_pose(shared_path("repcount_pose", "dev", "stu1_59.npy"))
    a = analyze_sequence(seq, "stu1_59", exercise="sit_up").analysis
    assert not [f.message for f in a.feedback if f.kind == "posture_drift"]


def test_a_rep_the_recording_ends_in_is_not_praised_whole_and_the_json_shows_what_was_judged():
    # a dip video that stopped at the bottom of its last rep was told "all 3 reps matched the reference"
    full = synthesize("squat", 5, seed=2, config=SynthConfig(randomize=False, noise_m=0.004))
    last = full.metadata["segments"][-1]
    seq = full.slice(0, last["mid"] + 3)
    a = analyze_sequence(seq, "ends at the bottom", exercise="squat").analysis
    metrics = {m["rep"]: m for m in a.extras["rep_metrics"]}
    ended = max(metrics)
    assert metrics[ended]["frames"]["turn"] >= len(seq) - 5
    note = [f for f in a.feedback if "recording starts or ends part-way through" in f.message]
    assert note and note[0].reps == [ended], [f.message for f in a.feedback]
    praised = [f for f in a.feedback if "matching the reference" in f.message or "matched the reference" in f.message]
    assert praised and ended not in praised[0].reps and set(praised[0].reps) == set(range(1, ended))
    # the pace each rep is judged on, and each fault's size rep by rep, are in the JSON
    assert all(set(m["active_s"]) == {"into", "out"} and m["fault_values"] == {} for m in metrics.values())
    # the whole set is praised whole
    whole = analyze_sequence(full, "whole", exercise="squat").analysis
    assert not [f for f in whole.feedback if "part-way through" in f.message]
    assert any(f.message == "All 5 reps matched the reference form - well done." for f in whole.feedback)


def test_reps_just_inside_a_range_limit_are_said_to_be_near_it_not_praised():
    # RepCount's stu6_24 (jumping jacks about 30 degrees short of the reference throughout) was told the
    # range on 17 of 26 reps and praised "good form, matching the reference" on most of the others
    seq = read_pose(shared_path("repcount_pose", "dev", "stu6_24.npy"))
    a = analyze_sequence(seq, "stu6_24", exercise="jumping_jack").analysis
    told = {r for f in a.feedback if f.kind == "partial_range" for r in f.reps}
    near = [f for f in a.feedback if "close to them" in f.message]
    praised = [f for f in a.feedback if "matching the reference" in f.message or "matched the reference" in f.message]
    assert len(told) >= 15 and near and len(near[0].reps) >= 5
    assert not set(near[0].reps) & told and not (praised and set(praised[0].reps) & set(near[0].reps))
    # near is no fault: the reps carry none
    values = {m["rep"]: m for m in a.extras["rep_metrics"]}
    assert all(values[r]["faults"] == [] for r in near[0].reps)

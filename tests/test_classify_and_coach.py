import numpy as np
import pytest

import gyml
from gyml.classify.datasets import load_folder, split_indices
from gyml.classify.default import load_model, predict
from gyml.classify.model import ExerciseModel
from gyml.classify.train import train
from gyml.coach.paper import paper_coach
from gyml.coach.session import coach_session
from gyml.errors import GymlError
from gyml.pipeline import analyze_sequence
from gyml.reps.counter import count_reps
from gyml.synth import SynthConfig, synthesize
from gyml.synth.writers import action_ids, flag3d_file_name, write_flag3d_smpl


@pytest.mark.parametrize("exercise", ["squat", "push_up", "jumping_jack", "pull_up", "sit_up", "bicep_curl",
                                      "lunge", "deadlift"])
def test_default_model_recognises_unseen_synthesised_sets(exercise):
    seq = synthesize(exercise, 6, seed=4242)
    pred = predict(load_model(), seq)
    assert pred.label == exercise and pred.confidence > 0.5


def test_split_is_stratified_and_fixed():
    labels = [c for c in "abcdef" for _ in range(20)]
    s1, s2 = split_indices(labels, 0), split_indices(labels, 0)
    assert s1 == s2 and len(s1["train"]) == 84 and len(s1["dev"]) == 24 and len(s1["test"]) == 12
    assert not set(s1["train"]) & set(s1["test"])


def test_train_on_a_flag3d_layout_folder_and_reload(tmp_path):
    ids = action_ids()
    for label in ("squat", "push_up", "front_raise"):
        for i in range(10):
            seq = synthesize(label, 3 + i % 4, seed=100 + i)
            write_flag3d_smpl(seq, tmp_path / flag3d_file_name(ids[label], person=i + 1, repeat=1))
    data = load_folder(tmp_path)
    assert len(data.labels) == 30
    assert len(set(data.groups)) == 10   # the performer (P###) is the group
    result = train(data, features="paper", model="multinomial", pca=0.75)
    assert result.metrics["split_by"] == "group"
    split = result.model.settings["split"]
    people = {part: {data.groups[i] for i in split[part]} for part in ("train", "dev", "test")}
    assert not people["train"] & (people["dev"] | people["test"]) and not people["dev"] & people["test"]
    assert result.n_features == 72 * max(len(s) for s in data.sequences)
    assert result.metrics["dev"]["accuracy"] >= 0.5
    path = result.model.save(tmp_path / "m.gyml")
    back = ExerciseModel.load(path)
    assert back.features == "paper" and back.labels == result.model.labels


def test_a_flag3d_folder_names_its_actions_from_a_labels_file_saved_by_a_spreadsheet(tmp_path):
    ids = action_ids()
    for i in range(2):
        write_flag3d_smpl(synthesize("squat", 3, seed=i), tmp_path / flag3d_file_name(ids["squat"], person=i + 1,
                                                                                          repeat=1))
    # a byte-order mark first, as a spreadsheet writes it
    (tmp_path / "labels.csv").write_bytes(f"action_id,label,name\n{ids['squat']},deep_squat,Deep squat\n"
                                          .encode("utf-8-sig"))
    data = load_folder(tmp_path)
    assert data.labels == ["deep_squat", "deep_squat"] and data.names["deep_squat"] == "Deep squat"
    (tmp_path / "labels.csv").write_bytes(b"action_id,label\n\xff\xfe\x00bad\n")
    with pytest.raises(GymlError, match="labels.csv: cannot read the CSV \\(not UTF-8 text"):
        load_folder(tmp_path)


def test_model_from_another_version_is_refused(tmp_path, monkeypatch):
    # A small fitted model written by `save`: the version check reads the file's metadata only, and
    # writing the shipped 600-tree model again took seconds.
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X = np.random.default_rng(0).normal(size=(20, 4))
    y = np.repeat(["squat", "push_up"], 10)
    estimator = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]).fit(X, y)
    path = ExerciseModel(estimator, ["push_up", "squat"], {}, "motion").save(tmp_path / "m.gyml")
    assert ExerciseModel.load(path).labels == ["push_up", "squat"]    # read back under the version it was made by
    monkeypatch.setattr(gyml, "__version__", "9.9.9")
    with pytest.raises(GymlError, match="retrain"):
        ExerciseModel.load(path)


def _feedback(exercise, faults, seed=3, strictness="intermediate", gold=None):
    seq = synthesize(exercise, 8, faults, seed=seed)
    return analyze_sequence(seq, "x", exercise=exercise, strictness=strictness, gold=gold).analysis


@pytest.mark.parametrize("exercise,kind,rep,words", [
    ("squat", "shallow", 3, "Rep 3, at the bottom: your knees bend"),
    ("push_up", "hips_sag", 5, "Rep 5, at the bottom: your hips sag"),
    ("push_up", "elbows_flare", 4, "Rep 4, at the bottom: your elbows flare"),
    ("squat", "knees_cave", 6, "Rep 6, at the bottom: your knees fall inwards"),
    ("deadlift", "rounded_back", 4, "Rep 4, at the bottom: your back rounds"),
    ("bicep_curl", "partial_range", 2, "Rep 2, at the top: your elbows move"),
    ("squat", "too_fast", 4, "Rep 4, over the rep: you rushed it"),
    # alternating exercises and a wide stance
    ("alternate_curl", "partial_range", 3, "Rep 3, at the top: your elbows move"),
    ("high_knees", "partial_range", 5, "Rep 5, at the top: your hips move"),
    ("squat", "forward_lean", 4, "Rep 4, at the bottom: your trunk leans"),
    ("sumo_squat", "knees_cave", 2, "Rep 2, at the bottom: your knees fall inwards"),
])
def test_coach_names_the_rep_the_moment_and_the_body_part(exercise, kind, rep, words):
    a = _feedback(exercise, {rep: kind})
    faults = [f for f in a.feedback if f.severity == "fault"]
    assert len(faults) == 1, [f.message for f in a.feedback]
    assert faults[0].message.startswith(words) and faults[0].rep == rep
    metrics = {m["rep"]: m for m in a.extras["rep_metrics"]}
    assert metrics[rep]["score"] < min(m["score"] for r, m in metrics.items() if r != rep)


@pytest.mark.parametrize("exercise", ["squat", "push_up", "front_raise", "pull_up", "bench_press", "deadlift"])
def test_no_false_alarm_on_clean_sets(exercise):
    for seed in (1, 2):
        a = _feedback(exercise, {}, seed=seed)
        assert [f.message for f in a.feedback if f.severity == "fault"] == []
        assert a.feedback[-1].severity == "info" and "All 8 reps" in a.feedback[-1].message


def test_repeated_faults_are_grouped():
    a = _feedback("squat", {2: "shallow", 3: "shallow", 4: "shallow", 7: "shallow"})
    faults = [f for f in a.feedback if f.severity == "fault"]
    assert len(faults) == 1 and faults[0].message.startswith("Reps 2-4 and 7, at the bottom")


def test_paper_coach_reports_its_numbers():
    gold = synthesize("squat", 3, seed=0, config=SynthConfig(randomize=False, noise_m=0))
    user = synthesize("squat", 5, {2: "knees_cave"}, seed=0, config=SynthConfig(randomize=False, noise_m=0))
    result = paper_coach(user, count_reps(user, "paper"), gold)
    assert result.threshold > 0 and result.mean_mid_distance >= 0
    feedback, extras = coach_session(user, count_reps(user, "paper"), None, gold=gold, method="paper")
    assert extras["coach"]["method"] == "paper" and "max_gold_distance" in extras["coach"]
    assert all(f.message.startswith("Rep ") for f in feedback)


def test_angles_in_the_json_are_finite_numbers():
    a = _feedback("lunge", {})
    for m in a.extras["rep_metrics"]:
        assert all(np.isfinite(v) for v in m["range_of_motion_deg"].values())


def _video_like(exercise, faults, yaw):
    """A synthesised set presented as monocular video, filmed from the given camera yaw."""
    seq = synthesize(exercise, 6, faults, seed=4, config=SynthConfig(camera_yaw_deg=yaw))
    seq.source = "video"
    return analyze_sequence(seq, "x", exercise=exercise).analysis


def test_side_view_skips_sideways_checks_and_says_so():
    # (bench press: push-ups on video are judged by tolerances learned from real clips, gyml/coach/learned.py)
    front = _video_like("bench_press", {3: "elbows_flare"}, yaw=0.0)
    assert any(f.rep == 3 and "elbows flare" in f.message for f in front.feedback)
    # the degrees are beyond the reference, not the elbows' angle: "flare 33° out ... keep them at 45°"
    # read as a contradiction
    assert all("wider than the reference" in f.message for f in front.feedback if f.kind == "elbows_flare")
    side = _video_like("bench_press", {3: "elbows_flare"}, yaw=90.0)
    assert not any("flare" in f.message for f in side.feedback if f.severity == "fault")
    note = next(f.message for f in side.feedback if f.severity == "info" and f.message.startswith("Filmed from the side"))
    # only the checks this exercise has are named: a bench press has no knee tracking to film from the front
    assert "elbow flare" in note and "knee tracking" not in note, note
    # the side stays the view to film (the tracking warning asks for it); the front is for these checks too
    assert "from the front as well" in note, note
    # depth is still judged from the side
    shallow = _video_like("bench_press", {2: "shallow"}, yaw=90.0)
    assert any(f.rep == 2 and f.joint == "elbow" for f in shallow.feedback if f.severity == "fault")


def test_push_ups_on_video_filmed_from_the_side_are_not_promised_a_check_that_never_runs():
    # their learned checks have no elbow flare from any view: "film a set from the front as well to have
    # elbow flare checked" promised one (45 real clips)
    side = _video_like("push_up", {}, yaw=90.0)
    assert not [f.message for f in side.feedback if "Filmed from the side" in f.message]


def test_a_set_filmed_from_the_side_only_in_part_names_the_reps_it_could_not_judge():
    # the camera swings round half-way: the first reps are judged for flare, the note names only the others
    seq = synthesize("bench_press", 6, {2: "elbows_flare"}, seed=4, config=SynthConfig(camera_yaw_deg=0.0))
    seq.source = "video"
    half = len(seq) // 2
    turn = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])   # 90 degrees about the vertical
    centre = seq.joints[half:, :1]
    seq.joints[half:] = (seq.joints[half:] - centre) @ turn.T + centre
    a = analyze_sequence(seq, "x", exercise="bench_press").analysis
    assert any(f.rep == 2 and "elbows flare" in f.message for f in a.feedback if f.severity == "fault")
    note = next(f for f in a.feedback if f.severity == "info" and "filmed from the side" in f.message.lower())
    assert note.reps and 2 not in note.reps and max(note.reps) == a.reps["count"], note
    assert not note.message.startswith("Filmed from the side"), note.message


def test_paper_coach_compares_video_without_smpl_against_a_smpl_gold():
    user = synthesize("squat", 4, {2: "shallow"}, seed=1)
    user.smpl_pose = None          # as from video: joints only
    user.source = "video"
    a = analyze_sequence(user, "x", exercise="squat", coach_method="paper").analysis
    coach = a.extras["coach"]
    assert coach["method"] == "paper" and coach["max_gold_distance"] > 0
    assert coach["mean_user_mid_to_gold"] > 0 and coach["mean_user_start_to_gold"] >= 0


def test_mean_rep_curve_ignores_the_number_of_reps_but_not_the_exercise():
    from gyml.classify.features import REP_STEPS, rep_curve_features
    from gyml.pose.skeleton import ANGLE_NAMES

    cfg = SynthConfig(randomize=False)
    few = rep_curve_features(synthesize("squat", 4, seed=0, config=cfg))
    many = rep_curve_features(synthesize("squat", 10, seed=1, config=cfg))
    other = rep_curve_features(synthesize("push_up", 6, seed=0, config=cfg))
    assert few.shape == (REP_STEPS * len(ANGLE_NAMES),)
    assert np.abs(few - many).mean() < 0.2 * np.abs(few - other).mean()


def _rushed_first_half(seq, rep_index: int, share: float):
    """`seq` with the first half (start to turning point) of rep `rep_index` (0-based) played in `share`
    of its time."""
    from gyml.pose.sequence import PoseSequence

    rep = seq.metadata["segments"][rep_index]
    half = seq.joints[rep["start"]:rep["mid"]]
    t = np.linspace(0, len(half) - 1, max(3, int(share * len(half))))
    warped = np.stack([np.stack([np.interp(t, np.arange(len(half)), half[:, j, a]) for a in range(3)], axis=1)
                       for j in range(half.shape[1])], axis=1)
    joints = np.concatenate([seq.joints[:rep["start"]], warped, seq.joints[rep["mid"]:]]).astype(np.float32)
    return PoseSequence(joints=joints, confidence=np.ones(joints.shape[:2], np.float32), fps=seq.fps, source="synth")


def test_a_rushed_descent_is_named_as_such():
    """Six even squats, the third dropped into in a third of the usual time."""
    seq = synthesize("squat", 6, seed=2, config=SynthConfig(randomize=False, noise_m=0.0))
    a = analyze_sequence(_rushed_first_half(seq, 2, 0.35), "x", exercise="squat").analysis
    assert a.reps["count"] == 6
    faults = [f for f in a.feedback if f.severity == "fault"]
    assert [(f.rep, f.phase) for f in faults] == [(3, "descent")], [f.message for f in a.feedback]
    assert faults[0].message.startswith("Rep 3, on the way down: you rushed it")


@pytest.mark.parametrize("exercise,fault,words,own_gold", [
    ("push_up", "hips_sag:ascent", "Rep 3, on the way up: your hips sag", False),
    ("push_up", "elbows_flare:descent", "Rep 3, on the way down: your elbows flare", False),
    # a squat's lean is held against the person's own recording here: against the built-in reference it
    # is judged by the trunk-tibia rule (below), which this synthesised lean of a half stays inside
    ("squat", "forward_lean:ascent", "Rep 3, on the way up: your trunk leans", True),
    ("deadlift", "rounded_back:descent", "Rep 3, on the way down: your back rounds", False),
])
def test_a_fault_on_the_way_down_or_up_is_found_by_the_whole_rep_alignment(exercise, fault, words, own_gold):
    """The turning point is clean: a start-and-midpoint comparison cannot see these."""
    for seed in (0, 1, 2):
        gold = synthesize(exercise, 4, seed=seed) if own_gold else None
        a = _feedback(exercise, {3: fault}, seed=seed, gold=gold)
        faults = [f for f in a.feedback if f.severity == "fault"]
        assert [f.message[:len(words)] for f in faults] == [words], [f.message for f in a.feedback]
        metrics = {m["rep"]: m for m in a.extras["rep_metrics"]}
        assert metrics[3]["faults"] == [fault.split(":")[0]]
        assert metrics[3]["score"] < min(m["score"] for r, m in metrics.items() if r != 3)


def test_dtw_recovers_a_known_time_warp():
    from gyml.coach.align import dtw_path, resample

    t = np.linspace(0, 1, 48)
    gold = np.stack([np.sin(np.pi * t) * 90, np.cos(np.pi * t) * 30], axis=1)
    warped_t = t ** 1.8                      # slow start, quick finish
    user = np.stack([np.sin(np.pi * warped_t) * 90, np.cos(np.pi * warped_t) * 30], axis=1)
    match, distance = dtw_path(user, gold)
    truth = np.round(warped_t * 47).astype(int)
    assert np.all(np.diff(match) >= 0)
    assert np.abs(match - truth).max() <= 2 and distance < 2.0
    _, unaligned = dtw_path(user, gold, band=0.0)
    assert unaligned > 3 * distance
    assert resample(gold[:10], 48).shape == (48, 2)


def test_phase_durations_follow_the_rep():
    """A slow descent spends longer in the gold rep's descent phase than in its ascent."""
    seq = synthesize("squat", 4, seed=0, config=SynthConfig(randomize=False, noise_m=0.0))
    a = analyze_sequence(seq, "x", exercise="squat").analysis
    for m in a.extras["rep_metrics"]:
        assert set(m["phase_s"]) == {"start", "descent", "mid", "ascent", "end"}
        assert abs(m["phase_s"]["descent"] - m["phase_s"]["ascent"]) < 0.35
        assert m["gold_distance_deg"] < 5


def test_trunk_lean_is_expected_to_grow_with_squat_depth_but_not_in_a_hinge():
    from gyml.coach.compare import _expected_lean

    squat_gold = {"left_knee_flexion": 110.0, "right_knee_flexion": 110.0, "trunk_inclination": 22.0}
    deeper = {"left_knee_flexion": 132.0, "right_knee_flexion": 132.0, "trunk_inclination": 38.0}
    assert _expected_lean(deeper, squat_gold) == pytest.approx(26.4)
    assert _expected_lean(squat_gold, squat_gold) == pytest.approx(22.0)
    hinge_gold = {"left_knee_flexion": 30.0, "right_knee_flexion": 30.0, "trunk_inclination": 70.0}
    assert _expected_lean(deeper, hinge_gold) == 70.0


def test_fixes_are_worded_for_the_exercise():
    from gyml.coach.feedback import EXERCISE_FIXES
    from gyml.synth.catalog import CATALOG

    for exercise, kind in EXERCISE_FIXES:
        assert kind in CATALOG[exercise].faults, (exercise, kind)
    squat = [f.message for f in _feedback("squat", {3: "shallow"}).feedback if f.severity == "fault"]
    push_up = [f.message for f in _feedback("push_up", {3: "shallow"}).feedback if f.severity == "fault"]
    assert squat[0].endswith("sit back and down until your hips reach knee height.")
    assert push_up[0].endswith("lower your chest to a fist's height above the floor.")


def test_the_summary_names_the_faulty_reps_as_ranges():
    seq = synthesize("squat", 10, {r: "knees_cave" for r in (2, 3, 4, 5, 9)}, seed=1)
    summary = analyze_sequence(seq, "set", exercise="squat").analysis.summary
    assert summary.endswith("to work on (reps 2-5 and 9)."), summary


def test_one_fault_told_in_two_phases_is_one_issue():
    seq = synthesize("squat", 8, {2: "forward_lean:descent", 5: "forward_lean"}, seed=1)
    # the person's own recording as gold: its lean is the reference for a half rep too (see the alignment test)
    a = analyze_sequence(seq, "set", exercise="squat", gold=synthesize("squat", 4, seed=1)).analysis
    cues = [f for f in a.feedback if f.severity == "fault"]
    assert [(f.kind, f.phase) for f in cues] == [("forward_lean", "descent"), ("forward_lean", "mid")]
    assert "; 1 form issue to work on (reps 2 and 5)." in a.summary, a.summary


def test_a_clean_set_of_two_reps_is_praised_as_both_reps():
    from gyml.pipeline import analyze_sequence
    from gyml.synth.motion import synthesize

    messages = [f.message for f in analyze_sequence(synthesize("squat", 2, seed=0), "two.npz").analysis.feedback]
    assert "Both reps matched the reference form - well done." in messages, messages   # was "All 2 reps"


def test_a_short_rep_is_told_its_range_not_also_that_it_was_rushed():
    """Six sit-ups, the third short of the top and curled up in half the usual time: a rep that stops short is
    over sooner, and "you rushed it" beside "your hips move less" tells the range twice (RepCount's sit-ups
    stu3_58 and stu2_62 were told both on 10 reps)."""
    seq = synthesize("sit_up", 6, {3: "shallow"}, seed=2, config=SynthConfig(randomize=False, noise_m=0.0))
    a = analyze_sequence(_rushed_first_half(seq, 2, 0.5), "x", exercise="sit_up").analysis
    assert a.reps["count"] == 6
    told = {(f.kind, r) for f in a.feedback if f.severity == "fault" for r in f.reps}
    assert told == {("shallow", 3)}, [f.message for f in a.feedback]


def test_a_sit_up_short_of_the_top_is_told_to_curl_up_not_to_go_deeper():
    # RepCount's sit-ups were told "at the top: your hips bend 60° less than the reference - go deeper"
    cues = [f.message for f in _feedback("sit_up", {3: "shallow"}).feedback if f.kind == "shallow"]
    assert cues and all("go deeper" not in c and "bend" not in c for c in cues), cues
    assert cues[0].startswith("Rep 3, at the top: your hips move") and cues[0].endswith(
        "curl all the way up until your chest nears your thighs, under control.")


def test_fatigue_posture_is_worded_for_the_body_part():
    from gyml.coach.compare import Finding
    from gyml.coach.feedback import phrase

    hips = phrase([Finding(5, "posture_drift", "mid", "hip", 21.0, severity="warn")], "push_up", 6)[0].message
    back = phrase([Finding(5, "posture_drift", "mid", "trunk", 24.0, severity="warn")], "squat", 6)[0].message
    assert "your hips drift 21° from where they were in your best reps of the set" in hips, hips
    assert "your back drifts 24° from where it was in your best reps of the set" in back, back
    assert "posture (" not in hips + back

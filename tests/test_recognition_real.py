"""Recognition on real footage: the shipped model on real clips it never saw, training from a manifest of
real recordings, and an unsure recognition that still names and coaches the exercise."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path

from gyml.classify.default import load_model, predict
from gyml.classify.model import ExerciseModel
from gyml.classify.recordings import read_manifest, recordings_from, scan_folder, take_of
from gyml.errors import GymlError


def _ucf_rows(ucf: Path) -> list[dict]:
    with open(ucf / "labels.csv", newline="") as fh:
        return [r for r in csv.DictReader(fh) if (ucf / "poses" / f"{Path(r['video']).stem}.npz").exists()]


def test_the_shipped_model_recognises_real_clips_of_a_group_it_never_saw():
    from gyml.pose.readers import read_pose

    ucf = shared_path("ucf101")
    model = load_model()
    held_out = model.settings.get("held_out_groups", [])
    assert "ucf101:15" in held_out, "the shipped model must keep one UCF101 group out of its training"
    rows = [r for r in _ucf_rows(ucf) if r["group"] == "15"]
    assert len({r["exercise"] for r in rows}) == 7
    said = [predict(model, read_pose(ucf / "poses" / f"{Path(r['video']).stem}.npz")) for r in rows]
    right = np.array([p.label == r["exercise"] for p, r in zip(said, rows)])
    assert right.mean() >= 0.85, [(r["video"], p.label) for p, r in zip(said, rows) if p.label != r["exercise"]]
    # its confidence means something: the right answers are stated more confidently than the wrong ones
    confidence = np.array([p.confidence for p in said])
    assert (~right).sum() == 0 or confidence[right].mean() > confidence[~right].mean()


def test_a_manifest_of_real_recordings_trains_a_model_that_recognises_other_people(tmp_path):
    from typer.testing import CliRunner

    from gyml.cli import app
    from gyml.pose.readers import read_pose

    ucf = shared_path("ucf101")
    rows = _ucf_rows(ucf)
    classes = ("squat", "pull_up", "handstand_push_up")
    train_rows = [r for r in rows if r["exercise"] in classes and r["group"] in ("8", "9", "10", "11", "12", "13")]
    manifest = tmp_path / "mine.csv"
    with open(manifest, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label", "group"])
        for r in train_rows:
            writer.writerow([ucf / "poses" / f"{Path(r['video']).stem}.npz", r["exercise"], r["group"]])
    out = tmp_path / "mine.gyml"
    result = CliRunner().invoke(app, ["train", str(manifest), "--features", "motion", "--model", "trees",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    model = ExerciseModel.load(out)
    assert sorted(model.labels) == sorted(classes)
    # the group split kept every group whole
    groups = [r["group"] for r in train_rows]
    split = model.settings["split"]
    assert not {groups[i] for i in split["train"]} & {groups[i] for i in split["test"] + split["dev"]}
    others = [r for r in rows if r["exercise"] in classes and r["group"] in ("14", "15")]
    said = [predict(model, read_pose(ucf / "poses" / f"{Path(r['video']).stem}.npz")).label for r in others]
    assert np.mean([s == r["exercise"] for s, r in zip(said, others)]) >= 0.6  # chance: 1/3


def test_manifests_and_folders_are_labelled_and_grouped(tmp_path):
    from gyml.synth import synthesize

    seq = synthesize("squat", 2, seed=1)
    (tmp_path / "squat").mkdir()
    (tmp_path / "lunge").mkdir()
    for name in ("squat/take1_1.npz", "squat/take1_2.npz", "lunge/other.npz", "pushups_7.npz", "notes.npz"):
        seq.save(tmp_path / name)
    found = {r.path.name: r for r in scan_folder(tmp_path, source="mine")}
    assert found["take1_1.npz"].label == "squat" and found["other.npz"].label == "lunge"
    assert found["pushups_7.npz"].label == "push_up"
    assert "notes.npz" not in found          # no label in its folder or name: left out, not guessed
    assert found["take1_1.npz"].group == found["take1_2.npz"].group == "mine:take1"

    (tmp_path / "list.csv").write_text("video,exercise\nsquat/take1_1.npz,Push-ups\nmissing.mp4,squat\n")
    listed = read_manifest(tmp_path / "list.csv")
    assert [(r.path.name, r.label) for r in listed] == [("take1_1.npz", "push_up")]
    assert recordings_from(tmp_path / "list.csv")[0].label == "push_up"
    (tmp_path / "bad.csv").write_text("clip\nsquat/take1_1.npz\n")
    with pytest.raises(GymlError, match="path column"):
        read_manifest(tmp_path / "bad.csv")
    assert take_of("v_Lunges_g08_c03") == "v_Lunges_g08" and take_of("stu4_12") == "stu4"
    assert take_of("correct106") == "correct106"


def _guessing_copy(tmp_path) -> Path:
    """The shipped model with a confidence map that never reaches even odds: every answer is a guess."""
    model = load_model()
    settings = dict(model.settings, calibration={"coef": 1.0, "intercept": -5.0})
    path = tmp_path / "unsure.gyml"
    ExerciseModel(model.estimator, model.labels, model.names, model.features, settings).save(path)
    return path


def test_an_unsure_recognition_names_the_likely_exercise_and_still_coaches_it(tmp_path):
    from gyml.pipeline import analyze_sequence
    from gyml.synth import synthesize

    seq = synthesize("squat", 5, {3: "shallow"}, seed=4)
    result = analyze_sequence(seq, "set.npz", model_path=str(_guessing_copy(tmp_path)))
    exercise = result.analysis.exercise
    assert exercise.guess and exercise.confidence < 0.5
    assert exercise.label == "squat"
    record = result.analysis.to_dict()
    assert record["exercise"]["guess"] is True and record["exercise"]["label"] == "squat"
    assert "looks like a squat" in result.analysis.summary and "guess" in result.analysis.summary
    assert len(result.analysis.extras["rep_metrics"]) == result.reps.count >= 4   # coached, rep by rep
    # naming the exercise overrides the guess
    named = analyze_sequence(seq, "set.npz", exercise="squat", model_path=str(_guessing_copy(tmp_path)))
    assert not named.analysis.exercise.guess and named.analysis.exercise.confidence == 1.0

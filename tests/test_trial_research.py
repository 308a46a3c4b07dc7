"""A researcher's and an app builder's trial: training on one's own labelled data (manifests as people
write and save them, few groups, typos), evaluating by group, and the analysis of a hold with broken
frames. Each test is about one defect found in the trial."""

import dataclasses

import numpy as np
import pytest

from gyml.classify.datasets import Dataset
from gyml.classify.recordings import load_recordings, read_manifest, recordings_from
from gyml.errors import GymlError
from gyml.synth import synthesize


@pytest.fixture(scope="module")
def small_sets():
    """Two short synthesised sets of three exercises (a few seconds of motion each)."""
    return {label: [synthesize(label, 2, seed=s) for s in (1, 2)] for label in ("squat", "push_up", "jumping_jack")}


def test_a_manifest_row_whose_file_is_missing_is_listed_not_dropped_in_silence(tmp_path, small_sets):
    small_sets["squat"][0].save(tmp_path / "a.npz")
    small_sets["push_up"][0].save(tmp_path / "b.npz")
    (tmp_path / "list.csv").write_text("path,label\na.npz,squat\nb.npz,push_up\nc_typo.npz,push_up\n")
    data, problems = load_recordings(tmp_path / "list.csv", show_progress=False)
    assert len(data.labels) == 2
    assert problems == ["c_typo.npz: listed in list.csv but not found"]


def test_a_label_that_reads_like_a_misspelt_exercise_gets_a_note():
    from gyml.classify.recordings import label_typos

    lines = label_typos(["jumpin_jack", "jumpin_jack", "jumping_jack", "squat", "box_step", "pommelhorse"])
    assert len(lines) == 1
    assert "'jumpin_jack' (2 recordings)" in lines[0] and "did you mean jumping_jack" in lines[0]


@pytest.mark.parametrize("content, message", [
    (b"\xef\xbb\xbfpath,label\na.npz,squat\n", None),                      # "CSV UTF-8" from a spreadsheet
    (b"path;label\na.npz;squat\n", "separated by ';'"),
    (b"path,label\nsquat\xe9.npz,squat\n", "not UTF-8 text"),                 # Latin-1
])
def test_a_manifest_as_spreadsheets_save_it(tmp_path, small_sets, content, message):
    small_sets["squat"][0].save(tmp_path / "a.npz")
    (tmp_path / "list.csv").write_bytes(content)
    if message is None:
        assert [r.label for r in read_manifest(tmp_path / "list.csv")] == ["squat"]
    else:
        with pytest.raises(GymlError, match=message):
            read_manifest(tmp_path / "list.csv")


def test_a_data_path_that_does_not_exist_is_named_so(tmp_path):
    with pytest.raises(GymlError, match="no such file or folder"):
        recordings_from(tmp_path / "labels.csv")


def _dataset(small_sets, groups_per_label: int) -> Dataset:
    seqs, labels, groups = [], [], []
    for label, sets in small_sets.items():
        for k in range(groups_per_label):
            for seq in sets:
                seqs.append(seq)
                labels.append(label)
                groups.append(f"g{k}")
    return Dataset(seqs, labels, {lab: lab for lab in small_sets}, [f"{i}.npz" for i in range(len(seqs))], groups)


def test_too_few_groups_to_split_by_are_said_in_the_metrics(small_sets):
    from gyml.classify.train import train

    result = train(_dataset(small_sets, 4), "motion", "trees", None)
    assert result.metrics["split_by"] == "recording" and result.metrics["groups_found"] == 4


def test_evaluate_gives_each_group_and_names_exercises_the_model_does_not_know(small_sets):
    from gyml.classify.train import evaluate, train

    model = train(_dataset(small_sets, 3), "motion", "trees", None).model
    data = _dataset(small_sets, 2)
    data.labels[-1] = "lunge"
    m = evaluate(model, data)
    assert set(m["per_group"]) == {"g0", "g1"} and m["per_group"]["g0"]["recordings"] == 6
    assert m["labels_unknown_to_model"] == {"lunge": 1}


def test_a_strictness_typo_is_refused_by_the_python_api():
    from gyml.pipeline import analyze_sequence

    with pytest.raises(GymlError, match="unknown strictness 'hard'"):
        analyze_sequence(synthesize("squat", 2, seed=1), "s.npz", strictness="hard")


def test_a_hold_with_broken_frames_reports_them_like_a_rep_set(tmp_path, monkeypatch):
    from gyml import pipeline
    from gyml.classify.default import recognise
    from gyml.pose.readers import read_pose

    # the plank named, and the default model (2 s to load) not asked what it looks like: not at stake here
    monkeypatch.setattr(pipeline, "_recognise", lambda seq, exercise, *args, **kw: recognise(seq, exercise))

    seq = synthesize("plank", 1, seed=1)
    joints = seq.joints.copy()
    joints[100:103] = 1e5   # beyond any body: made missing by the reader's plausibility checks
    dataclasses.replace(seq, joints=joints, metadata=dict(seq.metadata)).save(tmp_path / "plank.npz")
    read = read_pose(tmp_path / "plank.npz")
    assert read.metadata["plausibility"]["frames_dropped"] == 3
    d = pipeline.analyze_sequence(read, "plank.npz", exercise="plank").analysis.to_dict()
    assert "hold" in d and d["plausibility"]["frames_dropped"] == 3
    assert "3 of" in d["feedback"][0]["message"] and d["feedback"][0]["severity"] == "warn"
    assert np.isfinite(d["hold"]["time_under_tension_s"])


def test_gyml_train_and_evaluate_say_what_they_left_out_and_how_they_split(tmp_path, small_sets):
    """The notes reach the terminal: a missing row, a misspelt label, a split by recording, groups."""
    from typer.testing import CliRunner

    from gyml.cli import app

    rows = ["path,label,group"]
    for label, sets in small_sets.items():
        for k, seq in enumerate(sets * 2):
            seq.save(tmp_path / f"{label}_{k}.npz")
            rows.append(f"{label}_{k}.npz,{'jumpin_jack' if label == 'jumping_jack' and k == 0 else label},g{k}")
    rows.append("squat_typo.npz,squat,g0")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    result = CliRunner().invoke(app, ["train", str(tmp_path / "labels.csv"), "--features", "motion", "--model",
                                      "trees", "-o", str(tmp_path / "m.gyml")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "skipped squat_typo.npz: listed in labels.csv but not found" in text
    assert "did you mean jumping_jack?" in text
    assert "split by recording, not by group: only 4 groups" in text
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "m.gyml"), str(tmp_path / "labels.csv")])
    assert result.exit_code == 0, result.output
    assert "by group: " in result.output and ":g0 " in result.output
    assert "the model does not know" not in result.output


def test_gyml_synth_of_a_hold_says_how_long_it_is_held_not_reps(tmp_path):
    from typer.testing import CliRunner

    from gyml.cli import app

    result = CliRunner().invoke(app, ["synth", "plank", "--reps", "1", "-o", str(tmp_path / "p.npz")])
    assert result.exit_code == 0, result.output
    assert "Plank: held " in result.output and "reps" not in result.output

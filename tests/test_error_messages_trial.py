"""Messages a user trial found misleading: a text file that is no pose file was said to be a CSV with no
data rows (or with "1 keypoint columns"), an output name longer than the file system takes came out as
"unexpected OSError", and an output folder that is a file was said not to exist."""

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gyml.cli import app
from gyml.errors import GymlError
from gyml.pose.readers import read_pose, sniff_format
from gyml.pose.sequence import TEMP_NAME_EXTRA, write_atomically
from gyml.pose.skeleton import JOINT
from gyml.synth import synthesize
from gyml.synth.writers import write_tracker_csv
from gyml.validate import check_outputs

runner = CliRunner()
UNSUPPORTED = "unsupported file type"
KINDS = ("videos (.mp4, .mov, .avi, .mkv, .webm, .m4v)", "pose files (.npz, .npy, .pkl, .json, .csv)")


def one_line_exit_2(*args) -> str:
    r = runner.invoke(app, [str(a) for a in args])
    lines = r.stderr.strip().splitlines()
    assert r.exit_code == 2 and len(lines) == 1, (r.exit_code, r.stdout, r.stderr)
    assert "unexpected" not in lines[0] and "Traceback" not in r.stderr
    return lines[0]


@pytest.fixture(scope="module")
def squat_csv(tmp_path_factory):
    return write_tracker_csv(synthesize("squat", 2, seed=3), tmp_path_factory.mktemp("csv") / "squats.csv")


def coco17(seq) -> list:
    names = ["head"] * 5 + [f"{side}_{part}" for part in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
                            for side in ("left", "right")]
    return np.stack([seq.joints[:, JOINT[name]] for name in names], axis=1).astype(float).tolist()


# --- 1. a file that is neither named as nor looks like a pose file ---

@pytest.mark.parametrize("name, text", [
    ("note.txt", "shopping list\neggs\nmilk\n"),
    ("note.txt", "just one line\n"),
    ("note.xyz", "shopping list\neggs\nmilk\n"),
    ("README", "a, b, c\nsome words, and more, words\n"),
    ("setup.ini", "[section]\nkey = value\n"),
])
def test_a_text_file_that_is_no_pose_file_is_called_unsupported_with_what_is_read(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    line = one_line_exit_2("analyze", path)
    assert line == f"error: {name}: {UNSUPPORTED} (unknown file format); gyml reads {KINDS[0]} and {KINDS[1]}"
    assert "CSV" not in line and "keypoint columns" not in line


def test_a_binary_file_gets_the_same_line(tmp_path):
    (tmp_path / "b.bin").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(GymlError, match=f"{UNSUPPORTED}.*{KINDS[1].replace('(', '.').replace(')', '.')}"):
        read_pose(tmp_path / "b.bin")


def test_pose_files_under_other_names_are_still_known_by_their_content(tmp_path, squat_csv):
    frames = len(read_pose(squat_csv))
    for name in ("squats.txt", "squats.xyz", "squats"):
        (tmp_path / name).write_bytes(squat_csv.read_bytes())
        assert sniff_format(tmp_path / name) == "csv" and len(read_pose(tmp_path / name)) == frames
    # a take that starts with frames where nobody was found: numbered rows of empty cells
    empty = "".join(f"{t}" + "," * 132 + "\n" for t in range(40))
    head, body = squat_csv.read_text().split("\n", 1)
    (tmp_path / "late.dat").write_text(f"{head}\n{empty}{body}")
    assert sniff_format(tmp_path / "late.dat") == "csv"
    kp = coco17(synthesize("squat", 2, seed=4))
    (tmp_path / "kp.dat").write_text(json.dumps({"layout": "coco17", "keypoints": kp}))
    (tmp_path / "kp").write_text(json.dumps(kp))
    assert len(read_pose(tmp_path / "kp.dat")) == len(kp) == len(read_pose(tmp_path / "kp", layout="coco17"))
    # ';' between the values: the CSV reader's own advice, not "unsupported"
    (tmp_path / "semi.txt").write_text(squat_csv.read_text().replace(",", ";"))
    assert "separated by ';'" in one_line_exit_2("count", tmp_path / "semi.txt")


def test_a_file_named_json_or_csv_gets_its_readers_message(tmp_path):
    (tmp_path / "a.json").write_text("hello\nthere\n")
    assert "cannot read JSON" in one_line_exit_2("analyze", tmp_path / "a.json")
    (tmp_path / "a.csv").write_text("just one line\n")
    assert "CSV has no data rows" in one_line_exit_2("analyze", tmp_path / "a.csv")


def test_the_web_upload_of_a_text_file_is_refused_with_the_same_line(tmp_path):
    from fastapi.testclient import TestClient

    from gyml.web.app import create_app
    from gyml.web.settings import WebSettings

    settings = WebSettings.build(data_dir=tmp_path / "serve", max_upload_mb=1.0, workers=1)
    with TestClient(create_app(settings, start_workers=False), base_url="http://127.0.0.1:8000") as client:
        for name in ("note.txt", "note.xyz"):
            response = client.post("/api/analyses", files={"file": (name, io.BytesIO(b"shopping list\neggs\n"))})
            assert 400 <= response.status_code < 500, response.text
            assert response.json()["detail"] == (f"{name}: {UNSUPPORTED} (unknown file format); gyml reads "
                                                 f"{KINDS[0]} and {KINDS[1]}")
    assert list(settings.uploads.iterdir()) == []


# --- 2 and 3. output paths: a name too long, a folder that is a file; said before any work ---

# every command's file outputs, each with an input that does not exist: the output's line comes first
FILE_OUTPUTS = [
    (["analyze", "missing.npz", "--json"], ".json", "--json"),
    (["analyze", "missing.npz", "--report"], ".html", "--report"),
    (["analyze", "missing.mp4", "--overlay"], ".mp4", "--overlay"),
    (["analyze", "missing.npz", "--jsonl"], ".jsonl", "--jsonl"),
    (["count", "missing.npz", "--jsonl"], ".jsonl", "--jsonl"),
    (["extract", "missing.mp4", "-o"], ".npz", "--output"),
    (["synth", "squat", "-o"], ".npz", "--output"),
    (["train", "missing_dir", "-o"], ".gyml", "--output"),
    (["evaluate", "missing.gyml", "missing_dir", "--json"], ".json", "--json"),
    (["live", "missing.mp4", "--output"], ".mp4", "--output"),
]


@pytest.mark.parametrize("args, suffix, option", FILE_OUTPUTS)
def test_an_output_name_too_long_is_one_line_before_any_work(tmp_path, monkeypatch, args, suffix, option):
    monkeypatch.chdir(tmp_path)
    long = tmp_path / ("a" * 300 + suffix)
    line = one_line_exit_2(*args, long)
    assert line.startswith(f"error: {option}: output name too long: ")
    assert f"(the name is {300 + len(suffix)} characters; at most " in line
    assert len(line) < 200 and "Errno" not in line   # the path shortened, its start and end kept
    assert f"{str(tmp_path)[:30]}" in line and f"...{'a' * 20}" in line and f"aaa{suffix} (" in line
    folder = tmp_path / ("b" * 300) / f"x{suffix}"
    assert "output name too long" in one_line_exit_2(*args, folder)


@pytest.mark.parametrize("args, suffix, option", FILE_OUTPUTS)
def test_an_output_folder_that_is_a_file_is_called_so(tmp_path, monkeypatch, args, suffix, option):
    monkeypatch.chdir(tmp_path)
    Path("afile").write_text("")
    assert one_line_exit_2(*args, f"afile/x{suffix}") == f"error: {option}: output folder is a file: afile"
    assert one_line_exit_2(*args, f"afile/sub/x{suffix}") == f"error: {option}: output folder is a file: afile"
    # a folder that is not there is still said so
    assert one_line_exit_2(*args, f"nowhere/x{suffix}") == f"error: {option}: output folder does not exist: nowhere"


@pytest.mark.parametrize("args, option", [
    (["train", "missing_dir", "-o", "m.gyml", "--report"], "--report"),
    (["synth-dataset"], "OUT_DIR"),
    (["demo", "--out"], "--out"),
])
def test_folder_outputs_follow_the_same_rules(tmp_path, monkeypatch, args, option):
    monkeypatch.chdir(tmp_path)
    Path("afile").write_text("")
    assert one_line_exit_2(*args, "afile") == f"error: {option}: output folder is a file: afile"
    assert one_line_exit_2(*args, "afile/sub") == f"error: {option}: output folder is a file: afile"
    assert f"error: {option}: output name too long: " in one_line_exit_2(*args, "d" * 300)
    assert not Path("d" * 20).exists() and list(tmp_path.iterdir()) == [tmp_path / "afile"]


def test_batch_out_follows_the_same_rules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pose = synthesize("squat", 2, seed=1).save(tmp_path / "s.npz")
    Path("afile").write_text("")
    assert one_line_exit_2("batch", pose, "--out", "afile/r.jsonl") == "error: --out: output folder is a file: afile"
    assert "error: --out: output name too long: " in one_line_exit_2("batch", pose, "--out", "r" * 300 + ".jsonl")


def test_a_name_is_refused_only_past_what_the_temporary_file_beside_it_leaves(tmp_path):
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    longest = tmp_path / ("n" * (name_max - TEMP_NAME_EXTRA - 5) + ".json")
    check_outputs([], {"--json": longest})
    write_atomically(longest, lambda fh: fh.write("{}"), mode="w")   # its temporary name fits too
    assert longest.read_text() == "{}" and [p.name for p in tmp_path.iterdir()] == [longest.name]
    one_more = tmp_path / ("n" * (name_max - TEMP_NAME_EXTRA - 4) + ".json")
    with pytest.raises(GymlError, match="^--json: output name too long"):
        check_outputs([], {"--json": one_more})
    # written without the check first (a library caller): the same line, not an OSError
    with pytest.raises(GymlError, match="^output name too long"):
        write_atomically(tmp_path / ("n" * 300), lambda fh: fh.write("{}"), mode="w")
    with pytest.raises(GymlError, match="^output folder is a file: "):
        write_atomically(longest / "x.json", lambda fh: fh.write("{}"), mode="w")

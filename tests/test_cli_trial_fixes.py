"""Problems a user trial found in the command line and the pose readers: an assumed frame rate said
nowhere, leftovers in the gold library, misleading --layout errors, error lines that were not clean
one-liners, and an exercise listing whose faults fell behind the coach's checks."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import place_catalog_background, shared_path

from gyml.errors import GymlError
from gyml.pipeline import analyze_sequence
from gyml.pose.readers import read_pose
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import JOINT
from gyml.synth import synthesize
from gyml.synth.writers import write_tracker_csv

GYML = [sys.executable, "-m", "gyml.cli"]
ASSUMED = "No frame rate stored in the file: read at 30 fps; give --fps if it was filmed at another rate."


def run(*args, env=None):
    return subprocess.run([*GYML, *map(str, args)], capture_output=True, text=True, timeout=300, check=False,
                          env=env)


def stderr_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def squat_csv(tmp_path_factory):
    """A squat set as a 3D tracker stores it: a landmark CSV with frame numbers and no frame rate."""
    path = tmp_path_factory.mktemp("csv") / "squats.csv"
    write_tracker_csv(synthesize("squat", 4, seed=3), path)
    return path


# --- 2. a frame rate assumed is said so ---

def test_a_csv_read_at_the_assumed_rate_is_flagged_and_told_once(squat_csv):
    a = analyze_sequence(read_pose(squat_csv), str(squat_csv), exercise="squat").analysis.to_dict()
    assert a["fps"] == 30.0 and a["fps_assumed"] is True
    told = [f for f in a["feedback"] if f["message"] == ASSUMED]
    assert len(told) == 1 and told[0]["severity"] == "info"
    # a fault count or summary is not changed by a note
    assert "form issue" not in a["summary"]


def test_a_rate_given_or_stored_is_not_called_assumed(squat_csv, tmp_path):
    given = analyze_sequence(read_pose(squat_csv, fps=60), "s", exercise="squat").analysis.to_dict()
    assert given["fps"] == 60.0 and "fps_assumed" not in given
    assert not any("frame rate" in f["message"] for f in given["feedback"])
    npz = synthesize("squat", 3, seed=1).save(tmp_path / "s.npz")  # stores its rate
    assert "fps_assumed" not in read_pose(npz).metadata


def coco17(seq) -> np.ndarray:
    """A body's pose as a COCO-17 tracker reports it (the face points at the head)."""
    names = ["head"] * 5 + [f"{side}_{part}" for part in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
                            for side in ("left", "right")]
    return np.stack([seq.joints[:, JOINT[name]] for name in names], axis=1).astype(np.float64)


def test_json_keypoints_are_assumed_only_without_a_stored_rate(tmp_path):
    frames = coco17(synthesize("squat", 2, seed=4)).tolist()
    stored, bare = tmp_path / "stored.json", tmp_path / "bare.json"
    stored.write_text(json.dumps({"fps": 25, "layout": "coco17", "keypoints": frames}))
    bare.write_text(json.dumps({"layout": "coco17", "keypoints": frames}))
    assert read_pose(stored).fps == 25 and "fps_assumed" not in read_pose(stored).metadata
    assert read_pose(bare).fps == 30 and read_pose(bare).metadata["fps_assumed"] is True
    assert "fps_assumed" not in read_pose(bare, fps=50).metadata


def test_other_pose_files_without_a_rate_are_flagged_too(tmp_path):
    keypoints = tmp_path / "k.npy"
    np.save(keypoints, coco17(synthesize("squat", 2, seed=4)))
    assert read_pose(keypoints, layout="coco17").metadata["fps_assumed"] is True
    repcount = shared_path("repcount_pose", "dev", "stu9_34.npy")
    assert read_pose(repcount).metadata["fps_assumed"] is True


def test_a_hold_read_at_the_assumed_rate_says_so_in_the_cli():
    plank = shared_path("bodyweight_mistakes", "plank_good.csv")   # filmed at 60 fps
    r = run("analyze", plank)
    assert r.returncode == 0, r.stderr
    assert f"  - {ASSUMED}" in r.stdout.splitlines()
    right = run("analyze", plank, "--fps", "60")
    assert right.returncode == 0, right.stderr
    assert "frame rate" not in right.stdout and "Plank held 30." in right.stdout


def test_count_lines_say_the_rate_was_assumed(squat_csv):
    assumed = json.loads(run("count", squat_csv).stdout)
    given = json.loads(run("count", squat_csv, "--fps", "60").stdout)
    assert assumed["fps_assumed"] is True and "fps_assumed" not in given


def test_gold_add_stores_a_pose_file_at_the_rate_given(squat_csv, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("GYML_HOME", str(home))
    r = run("gold", "add", "squat", squat_csv, "--fps", "60", "--name", "at60", "--force")
    assert r.returncode == 0, r.stderr
    stored = PoseSequence.load(home / "gold" / "squat" / "at60.npz")
    assert stored.fps == 60.0 and "fps_assumed" not in stored.metadata
    r = run("gold", "add", "squat", squat_csv, "--name", "at30", "--force")
    assert r.returncode == 0 and "no frame rate stored in the file" in r.stdout
    assert PoseSequence.load(home / "gold" / "squat" / "at30.npz").metadata["fps_assumed"] is True
    bad = run("gold", "add", "squat", squat_csv, "--fps", "0", "--force")
    assert bad.returncode == 2 and len(stderr_lines(bad)) == 1 and "--fps" in bad.stderr


# --- 9. the gold library leaves no empty exercise behind ---

def test_removing_the_last_gold_removes_its_folder_and_list_says_none(tmp_path, monkeypatch):
    from gyml.coach import gold

    home = tmp_path / "home"
    monkeypatch.setenv("GYML_HOME", str(home))
    for exercise, name in (("squat", "a"), ("squat", "b"), ("lunge", "c")):
        gold.add(exercise, synthesize(exercise, 3, seed=0), name, force=True)
    assert gold.remove("squat", "a") == 1
    assert gold.list_gold() == {"lunge": ["c"], "squat": ["b"]}
    assert gold.remove("squat", "b") == 1 and not (home / "gold" / "squat").exists()
    (home / "gold" / "plank").mkdir()   # emptied by hand, or left by an older remove
    assert gold.list_gold() == {"lunge": ["c"]}
    assert run("gold", "remove", "lunge").returncode == 0
    listed = run("gold", "list")
    assert listed.returncode == 0
    assert listed.stdout.startswith("no gold references stored")
    assert not any(line.rstrip().endswith(":") for line in listed.stdout.splitlines())


def test_removing_one_of_several_keeps_the_folder(tmp_path, monkeypatch):
    from gyml.coach import gold

    monkeypatch.setenv("GYML_HOME", str(tmp_path / "home"))
    gold.add("squat", synthesize("squat", 3, seed=0), "a", force=True)
    gold.add("squat", synthesize("squat", 3, seed=1), "b", force=True)
    gold.remove("squat", "a")
    assert (tmp_path / "home" / "gold" / "squat" / "b.npz").exists()
    assert run("gold", "list").stdout.strip() == "squat: b"


# --- 10. a --layout that does not fit says what it needs ---

@pytest.mark.parametrize("values, layout, expected", [
    ((20, 104), "coco17", "layout coco17 has 17 keypoints (51 or 68 values a frame); this file has 104 values a frame"),
    ((20, 25, 3), "coco17", "layout coco17 has 17 keypoints (51 or 68 values a frame); this file has 25 keypoints a frame"),
    ((20, 51), "body25", "layout body25 has 25 keypoints (75 or 100 values a frame); this file has 51 values a frame"),
])
def test_a_layout_that_does_not_fit_an_array_says_what_it_needs(tmp_path, values, layout, expected):
    path = tmp_path / "k.npy"
    np.save(path, np.zeros(values))
    with pytest.raises(GymlError) as caught:
        read_pose(path, layout=layout)
    assert str(caught.value) == f"k.npy: {expected}"


def test_a_layout_that_does_not_fit_a_landmark_csv_says_what_it_needs(squat_csv, tmp_path):
    copy = shutil.copy(squat_csv, tmp_path / "l.csv")
    assert read_pose(copy).metadata["layout"] == "mediapipe33"   # fine without --layout
    r = run("analyze", copy, "--layout", "coco17")
    assert r.returncode == 2 and stderr_lines(r) == [
        "error: l.csv: layout coco17 has 17 keypoints (51 or 68 values a frame); this file has 132 values a frame"]


def test_a_real_repcount_file_with_a_wrong_layout_does_not_ask_for_a_layout():
    path = shared_path("repcount_pose", "dev", "stu9_34.npy")
    r = run("analyze", path, "--layout", "coco17")
    assert r.returncode == 2 and len(stderr_lines(r)) == 1
    assert "this file has 104 values a frame" in r.stderr and "give --layout" not in r.stderr


def test_without_layout_an_unknown_width_still_asks_for_one(tmp_path):
    path = tmp_path / "odd.npy"
    np.save(path, np.zeros((20, 7)))
    with pytest.raises(GymlError, match="give --layout NAME"):
        read_pose(path)


# --- 11a. no native log lines above an error ---

def test_a_truncated_video_is_one_line_without_mediapipe_logs(tmp_path):
    video = shared_path("videos", "counted", "squats__squat_13.mp4")
    cut = tmp_path / "t.mp4"
    cut.write_bytes(video.read_bytes()[:30000])
    r = run("analyze", cut)
    assert r.returncode == 2
    assert stderr_lines(r) == [line for line in stderr_lines(r) if line.startswith("error: t.mp4:")]
    assert len(stderr_lines(r)) == 1 and "truncated or damaged" in r.stderr


def test_a_video_model_set_up_writes_nothing_to_stderr_after_it_returns(tmp_path):
    """The graph opens on its own threads; its log lines must come out (silenced) before the estimator is
    handed over, or whatever the caller does next has them above it."""
    script = ("import sys, time\n"
              "from gyml.pose.readers.video import pose_estimator\n"
              "model = pose_estimator()\n"
              "print('ready', file=sys.stderr, flush=True)\n"
              "time.sleep(1.0)\n"
              "model.close()\n")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "ready"


# --- 11b. an unreadable video's reason in plain words ---

def test_a_text_file_named_mp4_is_not_a_readable_video(tmp_path):
    fake = tmp_path / "text.mp4"
    fake.write_text("just some text, not a video\n" * 20)
    r = run("analyze", fake)
    assert r.returncode == 2
    assert stderr_lines(r) == ["error: text.mp4: not a readable video (invalid data)"]


# --- 11c. a failing input among several named once ---

def test_a_failing_input_among_several_is_named_once(tmp_path):
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    good = synthesize("squat", 3, seed=2).save(tmp_path / "good.npz")
    r = run("analyze", empty, good, "--jsonl", tmp_path / "out.jsonl")
    assert r.returncode == 2
    assert "error: empty.npz: the file is empty" in stderr_lines(r)
    assert "empty.npz: empty.npz" not in r.stderr
    lines = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert lines[0]["error"] == "empty.npz: the file is empty" and lines[1]["reps"]["count"] == 3


def test_a_message_without_the_file_name_still_gets_it():
    from pathlib import Path

    from gyml.cli import _named

    assert _named(Path("/x/a.npz"), "unexpected ValueError: bad") == "a.npz: unexpected ValueError: bad"
    assert _named(Path("/x/a.npz"), "a.npz: the file is empty") == "a.npz: the file is empty"


# --- 12a. the listing's faults are the coach's ---

def test_the_listed_faults_are_every_fault_the_coach_gives():
    from gyml.coach.session import coach_faults

    assert {"head_dropped", "head_raised", "shoulders_ahead", "shoulders_rounded", "hips_sag",
            "hips_pike"} == set(coach_faults("plank"))
    assert {"knees_bent", "head_dropped"} <= set(coach_faults("push_up"))
    assert {"stride_long", "stride_short", "off_balance", "not_low_enough"} <= set(coach_faults("lunge"))
    assert coach_faults("wall_sit") and coach_faults("side_plank")   # had no faults listed at all
    # fatigue warnings are not faults
    assert not {"shallower_than_best", "posture_drift"} & set(coach_faults("squat"))


def test_the_listed_faults_follow_the_coachs_checks(monkeypatch):
    """Derived, not written down: a check added to the coach shows up in the listing."""
    from gyml.coach import geometry, learned
    from gyml.coach.session import coach_faults

    monkeypatch.setitem(geometry.GEOMETRY_CHECKS, "bicep_curl", ("elbows_drift",))
    monkeypatch.setitem(learned.LEARNED, "bicep_curl", {"swinging": 10.0, "unused": None})
    faults = coach_faults("bicep_curl")
    assert "elbows_drift" in faults and "swinging" in faults and "unused" not in faults


@pytest.mark.parametrize("columns", ["400", "80"])
def test_gyml_exercises_lists_the_coachs_faults(columns):
    # in an 80-column terminal (or a pipe) the list wraps: it was cut to "shoulders_round…"
    r = run("exercises", env={**os.environ, "COLUMNS": columns})
    assert r.returncode == 0, r.stderr
    assert "…" not in r.stdout
    if columns == "400":   # (narrower, a long name folds across two lines of its cell)
        assert "shoulders_rounded" in r.stdout and "stride_short" in r.stdout


def test_exercises_add_reads_a_named_layout_and_refuses_an_unknown_one(squat_csv, tmp_path,
                                                                      small_catalog_background):
    env = {**os.environ, "GYML_HOME": str(tmp_path / "home")}
    place_catalog_background(small_catalog_background, tmp_path / "home")   # not synthesised again here
    bad = run("exercises", "add", "box_step", squat_csv, "--layout", "nope", env=env)
    assert bad.returncode == 2 and len(stderr_lines(bad)) == 1 and "unknown keypoint layout" in bad.stderr
    good = run("exercises", "add", "my_squat", squat_csv, squat_csv, "--layout", "mediapipe33", "--fps", "30",
               env=env)
    assert good.returncode == 0 and "learned 'my_squat'" in good.stdout, good.stderr

"""Issue #19's reproducers, kept as regression tests: each used to hang, exhaust memory, lose a batch,
overwrite a file or accept nonsense; each must now give a result or one line and exit 2, quickly."""

import json
import os
import pickle
import stat
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path
from typer.testing import CliRunner

from gyml.cli import app
from gyml.errors import GymlError
from gyml.pose.plausibility import apply_plausibility
from gyml.pose.readers import read_pose
from gyml.pose.sequence import PoseSequence
from gyml.synth import synthesize
from gyml.validate import check_exercise, check_outputs

runner = CliRunner()


def gyml(*args):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    r = runner.invoke(app, [str(a) for a in args])
    return r.exit_code, r.stdout, r.stderr


def one_line_exit_2(args, contains=""):
    code, _, stderr = gyml(*args)
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "unexpected" not in lines[0] and contains in lines[0], stderr
    return lines[0]


@pytest.fixture(scope="module")
def squat_npz(tmp_path_factory):
    return synthesize("squat", 5, seed=4).save(tmp_path_factory.mktemp("poses") / "squat.npz")


def peak_bytes(func, *args):
    tracemalloc.start()
    try:
        func(*args)
    except GymlError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


# 1. numbers claimed by options or files are bounded before any work

@pytest.mark.parametrize("args, says", [
    (["count", "{npz}", "--fps", "100000"], "--fps must lie in [1, 1000]"),
    (["count", "{npz}", "--fps", "0"], "--fps must lie in [1, 1000], got 0"),
    (["synth", "squat", "--missing", "2", "-o", "{tmp}/m.npz"], "--missing must lie in [0, 0.9]"),
    (["synth", "squat", "--reps", "0", "-o", "{tmp}/m.npz"], "--reps"),
    (["synth", "squat", "--noise", "-1", "-o", "{tmp}/m.npz"], "--noise"),
    (["synth-dataset", "{tmp}/d", "--per-class", "-1"], "--per-class must lie in [1,"),
    (["analyze", "{npz}", "--method", "bogus"], "unknown counting method 'bogus'"),
    (["analyze", "{npz}", "--coach", "bogus"], "unknown coach 'bogus'"),
    (["analyze", "{npz}", "--model", "{tmp}/missing.gyml"], "no such model file"),
    (["analyze", "{npz}", "--layout", "bogus"], "unknown keypoint layout 'bogus'"),
    (["count", "{npz}", "--layout", "bogus"], "unknown keypoint layout 'bogus'"),
    (["train", "{tmp}", "--pca", "7", "-o", "{tmp}/m.gyml"], "--pca must lie in [0, 1]"),
    (["analyze", "{npz}", "--jobs", "-3"], "--jobs must lie in [0, 256]"),
    (["extract", "{npz}", "-o", "{tmp}/m.npz", "--jobs", "-1"], "--jobs must lie in [0, 256]"),
    (["extract", "{npz}", "-o", "{tmp}/m.json"], "a gyml pose file is .npz"),
    (["live", "{npz}"], "live plays a video"),
])
def test_out_of_range_options_are_one_line_before_any_work(tmp_path, squat_npz, args, says):
    args = [a.format(npz=squat_npz, tmp=tmp_path) for a in args]
    one_line_exit_2(args, says)
    assert not (tmp_path / "m.npz").exists() and not (tmp_path / "d").exists()


def test_a_frame_rate_stored_in_a_file_is_bounded(tmp_path, squat_npz):
    arrays = dict(np.load(squat_npz))
    arrays["fps"] = np.float64(1e9)
    np.savez(tmp_path / "fps.npz", **arrays)
    one_line_exit_2(["count", tmp_path / "fps.npz"], "stored frame rate must lie in [1, 1000]")


def test_a_long_layout_csv_cannot_claim_five_million_frames(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("frame,landmark,x,y,z\n0,0,0.1,0.2,0.3\n5000000,0,0.1,0.2,0.3\n")
    with pytest.raises(GymlError, match="frame indices look wrong"):
        read_pose(path)
    assert peak_bytes(read_pose, path) < 10 * 1024**2


def test_a_pickle_asking_for_three_gigabytes_is_refused_before_allocating(tmp_path):
    class Huge:
        def __reduce__(self):
            return (bytearray, (3_000_000_000,))

    path = tmp_path / "huge.pkl"
    path.write_bytes(pickle.dumps({"poses": Huge()}, protocol=4))
    assert path.stat().st_size < 100
    with pytest.raises(GymlError, match="more than its size justifies"):
        read_pose(path)
    assert peak_bytes(read_pose, path) < 10 * 1024**2


def test_a_pickle_repeating_references_is_refused(tmp_path):
    row = list(range(10_000))
    path = tmp_path / "laughs.pkl"
    path.write_bytes(pickle.dumps({"poses": [row] * 10_000}, protocol=4))   # 50 kB describing 10^8 values
    with pytest.raises(GymlError, match="repeats references"):
        read_pose(path)


def test_an_npz_or_npy_header_cannot_claim_more_than_the_file_holds(tmp_path, squat_npz):
    header = tmp_path / "claims.npy"
    with open(header, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (10**9, 104)})
        fh.write(b"\0" * 1000)
    with pytest.raises(GymlError, match="claims"):
        read_pose(header)
    bomb = tmp_path / "bomb.npz"
    arrays = dict(np.load(squat_npz))
    arrays["joints"] = np.zeros((80_000, 24, 3), np.float32)     # 23 MB of zeros -> 23 kB zipped
    arrays["confidence"] = np.ones((80_000, 24), np.float32)
    np.savez_compressed(bomb, **arrays)
    assert bomb.stat().st_size < 200_000
    with pytest.raises(GymlError, match="unpacks to"):
        PoseSequence.load(bomb)


# 2. a batch never loses work

def test_a_batch_keeps_every_result_whatever_the_error(tmp_path, squat_npz):
    zipped = tmp_path / "truncated.npz"
    zipped.write_bytes(squat_npz.read_bytes()[:3000])          # BadZipFile
    damaged = tmp_path / "damaged.npz"
    raw = bytearray(squat_npz.read_bytes())
    raw[200:400] = bytes(200)                                    # zlib.error / CRC inside a member
    damaged.write_bytes(bytes(raw))
    gz = tmp_path / "bad.pkl"
    gz.write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(64))        # damaged gzip
    tokens = tmp_path / "bad.csv"
    tokens.write_text('frame,landmark,x,y,z\n0,0,"1,2\n')       # unterminated quote
    out = tmp_path / "out.jsonl"
    code, stdout, _ = gyml("count", squat_npz, zipped, damaged, gz, tokens, squat_npz, "--jsonl", out)
    assert code == 2
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["input"] for x in lines] == [str(p) for p in (squat_npz, zipped, damaged, gz, tokens, squat_npz)]
    assert lines[0]["count"] == lines[5]["count"] == 5
    assert all(x["error_kind"] == "input" for x in lines[1:5]), lines
    assert "4 failed" in stdout


def test_a_single_input_with_jsonl_still_gets_its_error_line(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    out = tmp_path / "out.jsonl"
    code, _, _ = gyml("count", bad, "--jsonl", out)
    assert code == 2
    assert json.loads(out.read_text())["error_kind"] == "input"


# 3. outputs never destroy inputs

def test_outputs_never_destroy_inputs(tmp_path, squat_npz):
    video = tmp_path / "v.npz"
    video.write_bytes(squat_npz.read_bytes())
    before = video.read_bytes()
    one_line_exit_2(["analyze", video, "--json", video], "is also an input")
    link = tmp_path / "link.json"
    link.symlink_to(video)
    one_line_exit_2(["analyze", video, "--report", link], "is also an input")
    one_line_exit_2(["analyze", video, "--json", tmp_path / "x", "--report", tmp_path / "x"], "both write")
    one_line_exit_2(["analyze", video, "--json", tmp_path / "nowhere" / "a.json"], "output folder does not exist")
    one_line_exit_2(["count", video, squat_npz, "--jsonl", squat_npz], "is also an input")
    one_line_exit_2(["extract", video, "-o", video], "is also an input")
    assert video.read_bytes() == before and squat_npz.exists()


def test_check_outputs_is_reusable(tmp_path):
    src = tmp_path / "in.mp4"
    src.write_bytes(b"x")
    check_outputs([src], {"--json": tmp_path / "a.json", "--overlay": tmp_path / "a.mp4", "--report": None})
    with pytest.raises(GymlError, match="--overlay"):
        check_outputs([src], {"--overlay": tmp_path / "." / "in.mp4"})


def test_output_files_respect_the_umask(tmp_path, squat_npz):
    old = os.umask(0o027)
    try:
        code, _, stderr = gyml("count", squat_npz, "--jsonl", tmp_path / "out.jsonl")
        assert code == 0, stderr
        assert stat.S_IMODE((tmp_path / "out.jsonl").stat().st_mode) == 0o640
    finally:
        os.umask(old)
    synthesize("squat", 2, seed=1).save(tmp_path / "s.npz")
    assert stat.S_IMODE((tmp_path / "s.npz").stat().st_mode) == 0o666 & ~old


# 4. gold references and exercise names are checked

def test_gold_add_checks_exercise_name_and_recording(tmp_path):
    pushups = synthesize("push_up", 4, seed=2).save(tmp_path / "pushups.npz")
    squats = synthesize("squat", 4, seed=2).save(tmp_path / "squats.npz")
    one_line_exit_2(["gold", "add", "squat", pushups], "looks like push-up")
    one_line_exit_2(["gold", "add", "sqaut", squats], "did you mean squat")
    one_line_exit_2(["gold", "add", "squat", squats, "--name", "../../etc"], "not a plain name")
    code, _, stderr = gyml("gold", "add", "squat", squats, "--name", "mine")
    assert code == 0, stderr
    code, _, stderr = gyml("gold", "add", "squat", pushups, "--force", "--name", "odd")
    assert code == 0, stderr


def test_the_analysis_says_which_gold_it_used(tmp_path):
    squats = synthesize("squat", 5, seed=3).save(tmp_path / "squats.npz")
    gold = synthesize("squat", 3, seed=8).save(tmp_path / "gold.npz")
    code, _, stderr = gyml("analyze", squats, "--json", tmp_path / "a.json")
    assert code == 0, stderr
    coach = json.loads((tmp_path / "a.json").read_text())["coach"]
    assert coach["gold"] == {"exercise": "squat", "name": "builtin", "source": "builtin"}
    code, _, stderr = gyml("analyze", squats, "--gold", gold, "--json", tmp_path / "b.json")
    assert code == 0, stderr
    assert json.loads((tmp_path / "b.json").read_text())["coach"]["gold"] == {
        "exercise": "squat", "name": "gold.npz", "source": "file"}
    assert gyml("gold", "add", "squat", gold, "--name", "mine")[0] == 0
    code, _, stderr = gyml("analyze", squats, "--json", tmp_path / "c.json")
    assert json.loads((tmp_path / "c.json").read_text())["coach"]["gold"]["source"] == "library"
    one_line_exit_2(["analyze", squats, "--exercise", "push_up", "--gold", gold], "looks like squat")


def test_an_unknown_exercise_names_close_catalog_names(squat_npz):
    line = one_line_exit_2(["analyze", squat_npz, "--exercise", "sqat"])
    assert "squat" in line
    assert check_exercise("Push-up") == "push_up"
    with pytest.raises(GymlError, match="unknown exercise 'foo'"):
        check_exercise("foo")


# 5. plausibility

def test_noise_and_a_transposed_array_are_refused(tmp_path):
    seq = synthesize("squat", 6, seed=3)
    rng = np.random.default_rng(0)
    PoseSequence(rng.uniform(-1, 1, seq.joints.shape), seq.confidence, 30).save(tmp_path / "noise.npz")
    one_line_exit_2(["count", tmp_path / "noise.npz"], "not a body's motion")
    repcount = np.load(shared_path("repcount_pose", "dev", "stu10_25.npy"))
    np.save(tmp_path / "transposed.npy", repcount.T)
    line = one_line_exit_2(["count", tmp_path / "transposed.npy"])
    assert "not a body's pose" in line or "fit no known keypoint layout" in line


def test_broken_frames_become_missing_and_the_report_says_so(tmp_path):
    seq = synthesize("squat", 6, seed=3)
    joints = seq.joints.copy()
    joints[100:112] = 1e38
    joints[300, :12] *= 8.0                                       # one frame with its legs blown up
    bad = PoseSequence(joints, seq.confidence, seq.fps).save(tmp_path / "bad.npz")
    checked = apply_plausibility(PoseSequence.load(bad))
    assert checked.metadata["plausibility"]["frames_dropped"] == 13
    assert not checked.present[100:112].any() and not checked.present[300]
    code, _, stderr = gyml("analyze", bad, "--json", tmp_path / "a.json")
    assert code == 0, stderr
    a = json.loads((tmp_path / "a.json").read_text())
    assert a["plausibility"]["frames_dropped"] == 13 and a["reps"]["count"] == 6
    assert any(f["severity"] == "warn" and "13 of" in f["message"] for f in a["feedback"])
    hopeless = joints.copy()
    hopeless[::2] = 1e38
    with pytest.raises(GymlError, match="not a body's pose"):
        apply_plausibility(PoseSequence(hopeless, seq.confidence, seq.fps))


def test_real_data_is_plausible():
    """No real recording is refused, and none loses a frame but those the RepCount reader collapsed onto
    one line (stu10_5: 11 of 1,375 frames, every angle read 0 or 180 degrees)."""
    import glob
    files = sorted(glob.glob(str(shared_path("repcount_pose", "dev") / "*.npy")))[:20]
    files += sorted(glob.glob(str(shared_path("ucf101", "poses") / "*.npz")))[::8]
    for path in files:
        report = read_pose(path).metadata["plausibility"]
        assert set(report["reasons"]) <= {"on_one_line"}, path
        assert report["frames_dropped"] <= 0.01 * len(read_pose(path)), path
    assert read_pose(shared_path("repcount_pose", "dev", "stu10_5.npy")).metadata["plausibility"] == {
        "frames_dropped": 11, "reasons": {"on_one_line": 11}}


def test_frames_collapsed_onto_one_line_become_missing():
    """A reader that loses the picture's breadth draws every joint on one line: no body's pose, and read as
    one it gives every angle 0 or 180 degrees (a rep compared on it 'drifted 98 degrees')."""
    seq = synthesize("squat", 6, seed=3)
    joints = seq.joints.copy()
    centre = joints[200:206].mean(axis=1, keepdims=True)
    joints[200:206, :, [0, 2]] = centre[..., [0, 2]]           # only the heights are left
    checked = apply_plausibility(PoseSequence(joints, seq.confidence, seq.fps))
    assert checked.metadata["plausibility"] == {"frames_dropped": 6, "reasons": {"on_one_line": 6}}
    assert not checked.present[200:206].any() and checked.present[:200].all()


# 7. warnings, --version

def test_version_and_no_raw_warnings(tmp_path, squat_npz):
    code, stdout, _ = gyml("--version")
    from gyml import __version__
    assert code == 0 and stdout.strip() == f"gyml {__version__}"
    seq = synthesize("squat", 4, seed=5)
    seq.confidence[:, 3:] = 0.0                                     # most joints never seen
    seq.save(tmp_path / "sparse.npz")
    r = subprocess.run([sys.executable, "-m", "gyml.cli", "analyze", tmp_path / "sparse.npz"],
                       capture_output=True, text=True, timeout=120, check=False)
    assert "Warning" not in r.stderr and "warn(" not in r.stderr, r.stderr


def test_the_synthesiser_refuses_an_unreachable_missing_share():
    """`synth --missing 2` used to loop forever inside the library call too (the web calls it directly)."""
    from gyml.synth.motion import SynthConfig

    with pytest.raises(GymlError, match="missing_rate must lie in"):
        synthesize("squat", 3, config=SynthConfig(missing_rate=2.0))


def test_a_reader_that_stops_early_costs_no_output_file_and_no_traceback(tmp_path, squat_npz):
    """`gyml analyze ... | head -1`: the pipe closes after the first line; the JSON and report are written."""
    out, report = tmp_path / "out.json", tmp_path / "report.html"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    process = subprocess.Popen([sys.executable, "-m", "gyml.cli", "analyze", str(squat_npz), "--json", str(out),
                                "--report", str(report)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    process.stdout.close()          # the reader is gone before the first line
    stderr = process.stderr.read().decode()
    process.wait(timeout=120)
    assert json.loads(out.read_text())["reps"]["count"] == 5
    assert report.stat().st_size > 0
    assert "Traceback" not in stderr and "unexpected" not in stderr, stderr


def test_an_output_through_a_link_replaces_the_linked_file_and_keeps_the_link(tmp_path, squat_npz):
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "today.json"
    target.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(Path("runs") / "today.json")
    code, _, stderr = gyml("analyze", squat_npz, "--json", link)
    assert code == 0, stderr
    assert link.is_symlink()                                   # before: the link became a plain file
    assert json.loads(target.read_text())["reps"]["count"] == 5


def test_an_output_pipe_is_written_in_place_not_renamed_over(tmp_path, squat_npz):
    """A FIFO (as /dev/stdout or /dev/null are devices): written into, never replaced by a plain file."""
    import threading

    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    got = {}
    reader = threading.Thread(target=lambda: got.setdefault("text", fifo.read_text()), daemon=True)
    reader.start()
    code, _, stderr = gyml("analyze", squat_npz, "--json", fifo)
    reader.join(timeout=60)
    assert code == 0, stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert json.loads(got["text"])["reps"]["count"] == 5


def test_a_write_that_fails_on_a_full_disk_is_one_line(tmp_path, monkeypatch):
    from gyml.pose.sequence import write_atomically

    def full(fh):
        raise OSError(28, "No space left on device")

    with pytest.raises(GymlError, match="could not write .*No space left"):
        write_atomically(tmp_path / "out.json", full, mode="w")
    assert not list(tmp_path.iterdir())                       # no temporary file left behind


def test_odd_but_common_text_files_are_read_or_refused_in_one_line(tmp_path):
    from test_cli_trial_fixes import coco17
    from test_readers import _mediapipe_landmarks

    kp = coco17(synthesize("squat", 3, seed=2))
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(kp.tolist()).encode())  # a spreadsheet's UTF-8
    assert len(read_pose(tmp_path / "bom.json", layout="coco17")) == len(kp)
    pts = _mediapipe_landmarks()
    rows = "frame,landmark,x,y,z\n" + "".join(f"{t},{k},{x:.4f},{y:.4f},{z:.4f}\n"
                                              for t, frame in enumerate(pts) for k, (x, y, z) in enumerate(frame))
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + rows.encode())
    assert len(read_pose(tmp_path / "bom.csv")) == len(pts)
    (tmp_path / "semi.csv").write_text(rows.replace(",", ";"))
    one_line_exit_2(["count", tmp_path / "semi.csv"], "separated by ';'")
    np.save(tmp_path / "scalar.npy", np.float64(3))
    one_line_exit_2(["count", tmp_path / "scalar.npy"], "keypoint array")
    # named as a binary format without being one: said so, not "CSV has no data rows"
    (tmp_path / "noise.pkl").write_bytes(bytes(range(32, 127)) * 3)
    one_line_exit_2(["count", tmp_path / "noise.pkl"], "not a pickle")


def test_json_to_stdout_is_the_json_alone_with_the_summary_on_stderr(squat_npz):
    """`gyml analyze set.npz --json - | jq ...`: the pipe gets the JSON and nothing else."""
    code, stdout, stderr = gyml("analyze", squat_npz, "--json", "-")
    assert code == 0, stderr
    assert json.loads(stdout)["reps"]["count"] == 5
    assert "5 reps of squat" in stderr
    assert not Path("-").exists()

"""`gyml batch` on a real local Dask cluster: rows, per-input JSON, resuming, and a worker killed mid-run."""

import json
import os
import signal
from pathlib import Path

import pytest

from gyml.batch.runner import ResultStore, read_table, run_batch, worker_pids
from gyml.batch.tasks import AnalysisOptions
from gyml.pipeline import analyze_sequence
from gyml.pose.readers import read_pose
from gyml.synth import synthesize

distributed = pytest.importorskip("dask.distributed")

PLAN = [("squat", 4, {2: "shallow"}), ("push_up", 5, {}), ("lunge", 3, {}), ("squat", 6, {}),
        ("push_up", 3, {}), ("squat", 5, {4: "shallow"}), ("lunge", 4, {}), ("push_up", 4, {}),
        ("squat", 3, {}), ("lunge", 5, {}), ("squat", 4, {}), ("push_up", 6, {})]


@pytest.fixture(scope="module")
def client():
    from gyml.batch.runner import _open_client

    c, cluster = _open_client(None, 2)  # the local cluster `gyml batch` starts
    with c:
        yield c
    cluster.close()


def _worker_settings():
    import multiprocessing

    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), multiprocessing.current_process().daemon


def test_local_workers_may_start_span_processes_and_keep_glibcs_adaptive_malloc(client):
    # Non-daemonic: a worker may extract a long video in spans. No MALLOC_TRIM_THRESHOLD_: Dask's default
    # turns off glibc's adaptive mmap threshold, and every decoded frame is then mapped afresh.
    assert set(client.run(_worker_settings).values()) == {(None, False)}


def _inputs(folder, plan):
    folder.mkdir()
    paths = []
    for i, (exercise, reps, faults) in enumerate(plan):
        path = folder / f"set{i:02d}_{exercise}.npz"
        synthesize(exercise, reps=reps, faults=faults, seed=i).save(path)
        paths.append(path)
    return paths


def test_rows_json_and_resume(tmp_path, client):
    paths = _inputs(tmp_path / "sets", PLAN[:3])
    broken = tmp_path / "sets" / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 not really an npz")
    out = tmp_path / "results.parquet"
    first = run_batch([tmp_path / "sets"], out, client=client)
    rows = read_table(out)
    assert [r["input"] for r in rows] == sorted(str(p.resolve()) for p in [*paths, broken])
    by_name = {os.path.basename(r["input"]): r for r in rows}
    assert by_name["broken.npz"]["error"] and by_name["broken.npz"]["count"] is None
    assert first.failed == 1 and first.analysed == 4
    for path in paths:
        row = by_name[path.name]
        assert row["error"] is None
        # The JSON beside the table is what the single-input pipeline gives for the same file.
        expected = analyze_sequence(read_pose(path), str(path.resolve())).analysis.to_dict()
        written = json.loads(Path(row["analysis"]).read_text())
        assert written == json.loads(json.dumps(expected))
        assert row["count"] == written["reps"]["count"]
        assert row["exercise"] == written["exercise"]["label"]
        assert row["rep_scores"] == [m["score"] for m in written["rep_metrics"]]
    shallow = by_name[paths[0].name]
    assert any("shallow" in f for f in shallow["faults"])

    # A rerun skips the finished inputs, retries the failed one, and picks up a new input.
    extra = _inputs(tmp_path / "more", PLAN[3:4])[0]
    second = run_batch([tmp_path / "sets", extra], out.with_suffix(".parquet"), client=client)
    assert second.skipped == 3 and second.analysed == 2
    assert len(read_table(out)) == 5
    # Touching a finished input's bytes makes it due again.
    synthesize("squat", reps=2, seed=99).save(paths[1])
    third = run_batch([tmp_path / "sets", extra], out, client=client)
    assert third.analysed == 2 and third.skipped == 3  # the changed file and the still broken one
    # Rows made with other options are not this run's: asked for squats, every input is analysed again.
    fourth = run_batch([tmp_path / "sets", extra], out, client=client, options=AnalysisOptions(exercise="squat"))
    assert fourth.analysed == 5 and fourth.skipped == 0
    assert {r["exercise"] for r in read_table(out) if r["error"] is None} == {"squat"}


def test_killed_worker_loses_nothing_and_duplicates_nothing(tmp_path, client):
    paths = _inputs(tmp_path / "sets", PLAN)
    out = tmp_path / "results.jsonl"
    killed = {}

    def kill_a_busy_worker(row):
        if killed:
            return
        processing = {w: keys for w, keys in client.processing().items() if keys}
        if not processing:
            return
        address, keys = next(iter(processing.items()))
        pid = worker_pids(client)[address]
        killed.update(address=address, pid=pid, keys=set(keys))
        os.kill(pid, signal.SIGKILL)

    summary = run_batch(paths, out, client=client, on_result=kill_a_busy_worker)
    assert killed, "the batch finished before a worker could be killed"
    rows = read_table(out)
    assert sorted(r["input"] for r in rows) == sorted(str(p.resolve()) for p in paths)  # each exactly once
    assert all(r["error"] is None for r in rows)
    assert summary.analysed == len(paths)
    # The task the dead worker held was rerun elsewhere.
    store = ResultStore(out)
    held = [p for p in paths if f"gyml-analyse-{os.path.basename(store.record_path(p))[:-5]}" in killed["keys"]]
    assert held and all(store.is_done(p) for p in held)
    assert killed["pid"] not in client.run(os.getpid).values()


def test_options_reach_the_pipeline(tmp_path, client):
    paths = _inputs(tmp_path / "sets", PLAN[:1])
    summary = run_batch(paths, tmp_path / "r.jsonl", client=client,
                        options=AnalysisOptions(exercise="lunge", strictness="expert"))
    assert summary.rows[0]["exercise"] == "lunge"


def test_a_hold_row_gives_how_long_it_was_held_and_when_its_posture_failed(tmp_path):
    import dataclasses

    import numpy as np

    from gyml.batch.runner import write_table
    from gyml.batch.tasks import table_row
    from gyml.synth import CATALOG, SynthConfig

    good = synthesize(CATALOG["plank"], 4, seed=1, config=SynthConfig(noise_m=0.01))
    sagging = synthesize(dataclasses.replace(CATALOG["plank"], rest={**CATALOG["plank"].rest, "hip_flex_l": -35,
                                                                      "hip_flex_r": -35}),
                         4, seed=1, config=SynthConfig(noise_m=0.01))
    seq = type(good)(np.concatenate([good.joints, sagging.joints]),
                     np.concatenate([good.confidence, sagging.confidence]), good.fps, source="synth")
    analysis = json.loads(json.dumps(analyze_sequence(seq, "plank.npz").analysis.to_dict()))
    row = table_row("plank.npz", analysis, None, 1.0)
    # before, a hold's row read "count 0" and no faults
    assert row["count"] is None and row["held_s"] == analysis["hold"]["time_under_tension_s"] > 10
    assert any(f.endswith(": hips_sag") for f in row["faults"]), row["faults"]
    start = float(next(f for f in row["faults"] if f.endswith("hips_sag")).split("-")[0])
    assert abs(start - good.duration) < 2.0
    row["analysis"] = None   # the JSON file's path, set by the runner
    for out in (tmp_path / "t.parquet", tmp_path / "t.jsonl"):
        write_table(out, [row])
        assert read_table(out) == [row]


def test_a_row_of_reps_and_a_hold_gives_both_the_count_and_how_long_the_hold_lasted():
    import dataclasses

    import numpy as np

    from gyml.batch.tasks import table_row
    from gyml.synth import CATALOG, SynthConfig

    config = SynthConfig(noise_m=0.003)
    push = synthesize(CATALOG["push_up"], 6, seed=12, config=config)
    spec = CATALOG["plank"]
    sagging = synthesize(dataclasses.replace(spec, rest={**spec.rest, "hip_flex_l": -35, "hip_flex_r": -35}), 4,
                         seed=12, config=config)
    seq = type(push)(np.concatenate([push.joints, sagging.joints]),
                     np.concatenate([push.confidence, sagging.confidence]), push.fps, source="synth")
    analysis = json.loads(json.dumps(analyze_sequence(seq, "circuit.npz").analysis.to_dict()))
    row = table_row("circuit.npz", analysis, None, 1.0)
    [hold] = analysis["holds_beside_reps"]
    assert row["count"] == analysis["reps"]["count"] == 6
    assert row["held_s"] == hold["time_under_tension_s"] > sagging.duration - 1
    sag = [f for f in row["faults"] if f.endswith(": hips_sag")]
    assert sag and abs(float(sag[0].split("-")[0]) - push.duration) < 2.0, row["faults"]


def _coco17_npy(path: Path) -> Path:
    """A squat set as a COCO-17 tracker stores it: a bare (T, 17, 3) array, no rate, a keypoint count that
    Human3.6M-17 has as well."""
    import numpy as np

    from gyml.pose.skeleton import JOINT

    seq = synthesize("squat", reps=4, seed=5)
    names = ["head"] * 5 + [f"{side}_{part}" for part in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
                            for side in ("left", "right")]
    np.save(path, np.stack([seq.joints[:, JOINT[name]] for name in names], axis=1).astype(np.float32))
    return path


def test_a_keypoint_file_is_read_in_the_layout_and_at_the_rate_given(tmp_path, client):
    from gyml.batch.tasks import analyse_input

    path = str(_coco17_npy(tmp_path / "squats17.npy"))
    bare = analyse_input(path, AnalysisOptions())["row"]
    assert bare["error"] == ("squats17.npy: 17 keypoints per frame could be COCO-17 or Human3.6M-17; name the "
                             "layout with --layout (coco17, h36m17)")
    unfit = analyse_input(path, AnalysisOptions(layout="body25"))["row"]   # as `gyml analyze --layout` says it
    assert unfit["error"] == ("squats17.npy: layout body25 has 25 keypoints (75 or 100 values a frame); this "
                              "file has 17 keypoints a frame")
    summary = run_batch([path], tmp_path / "r.jsonl", client=client,
                        options=AnalysisOptions(layout="coco17", fps=60.0))   # through the Dask workers
    [row] = summary.rows
    assert row["error"] is None and row["count"] == 4 and row["fps"] == 60.0
    assert "fps_assumed" not in json.loads(Path(row["analysis"]).read_text())


def test_the_batch_command_refuses_a_bad_option_in_one_line_before_any_work(tmp_path):
    from typer.testing import CliRunner

    from gyml.cli import app
    from gyml.pose.layouts import LAYOUTS
    from gyml.validate import LAYOUT_OPTION_HELP

    path = _coco17_npy(tmp_path / "squats17.npy")
    unknown = "unknown keypoint layout 'coco71' (known: mediapipe33, coco17, h36m17, body18, body25, ntu25)"
    for option, line in ((["--layout", "coco71"], unknown),
                         (["--fps", "0"], "--fps must lie in [1, 1000], got 0"),
                         (["--strictness", "hard"], "unknown strictness 'hard' (choose from beginner, intermediate, expert)"),
                         (["--method", "peaks"], "unknown counting method 'peaks' (choose from gyml, paper)"),
                         (["--coach", "strict"], "unknown coach 'strict' (choose from gyml, paper)")):
        result = CliRunner().invoke(app, ["batch", str(path), "--out", str(tmp_path / "r.jsonl"), *option])
        assert result.exit_code == 2 and result.output.strip() == f"error: {line}", result.output
    assert not list(tmp_path.glob("*.jsonl")) and not list(tmp_path.glob(".r.jsonl.done"))
    assert all(name in LAYOUT_OPTION_HELP for name in LAYOUTS)   # the option's help names every layout

"""`gyml batch` after a user trial: Ctrl-C gives one line (no traceback from the workers) and keeps what
was finished; inputs are named as found in the folder (a symlink is not replaced by its target); a rerun
that had nothing left to do prints no rate."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gyml.batch.runner import BatchInterrupted, ResultStore, _legacy_key, input_key, read_table, run_batch
from gyml.batch.tasks import AnalysisOptions
from gyml.synth import synthesize

distributed = pytest.importorskip("dask.distributed")

PLAN = [("squat", 5), ("push_up", 5), ("lunge", 4), ("squat", 6), ("push_up", 4), ("lunge", 5),
        ("squat", 4), ("push_up", 6), ("lunge", 6), ("squat", 7), ("push_up", 7), ("lunge", 7)]


@pytest.fixture(scope="module")
def client():
    from gyml.batch.runner import _open_client

    c, cluster = _open_client(None, 1)
    with c:
        yield c
    cluster.close()


def _sets(folder: Path, plan) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for i, (exercise, reps) in enumerate(plan):
        path = folder / f"set{i:02d}_{exercise}.npz"
        synthesize(exercise, reps=reps, seed=i).save(path)
        paths.append(path)
    return paths


def test_symlinked_inputs_keep_the_name_they_have_in_the_folder(tmp_path, client):
    shared = _sets(tmp_path / "shared", PLAN[:2])
    folder = tmp_path / "in"
    folder.mkdir()
    for i, target in enumerate(shared):
        (folder / f"take{i}.npz").symlink_to(target)
    (folder / "broken.npz").write_bytes(b"PK\x03\x04 not really an npz")
    out = tmp_path / "r.jsonl"
    first = run_batch([folder], out, client=client)
    assert first.analysed == 3 and first.failed == 1
    rows = {r["input"]: r for r in read_table(out)}
    # successes and failures alike: the folder's names, not the targets (as `gyml analyze` names them)
    assert sorted(rows) == sorted(str(folder / n) for n in ("take0.npz", "take1.npz", "broken.npz"))
    for name in ("take0", "take1"):
        row = rows[str(folder / f"{name}.npz")]
        assert row["error"] is None and Path(row["analysis"]).name.startswith(f"{name}-")
    assert rows[str(folder / "broken.npz")]["error"]

    again = run_batch([folder], out, client=client)
    assert again.skipped == 2 and again.analysed == 1  # the finished links recognised; the broken one retried


def test_a_link_pointed_at_another_file_is_analysed_again(tmp_path, client):
    a, b = _sets(tmp_path / "shared", PLAN[:2])
    twin = tmp_path / "shared" / "twin.npz"
    shutil.copy2(a, twin)  # same size and modification time as `a`: only the target tells them apart
    folder = tmp_path / "in"
    folder.mkdir()
    link = folder / "take.npz"
    link.symlink_to(a)
    out = tmp_path / "r.jsonl"
    assert run_batch([folder], out, client=client).analysed == 1
    link.unlink()
    link.symlink_to(twin)
    assert run_batch([folder], out, client=client).analysed == 1
    link.unlink()
    link.symlink_to(b)
    again = run_batch([folder], out, client=client)
    assert again.analysed == 1
    assert again.rows[0]["input"] == str(link) and again.rows[0]["count"] == PLAN[1][1]
    assert run_batch([folder], out, client=client).skipped == 1


def test_a_link_finished_by_the_earlier_version_is_not_analysed_again(tmp_path, client):
    target = _sets(tmp_path / "shared", PLAN[:1])[0]
    folder = tmp_path / "in"
    folder.mkdir()
    link = folder / "take.npz"
    link.symlink_to(target)
    out = tmp_path / "r.jsonl"
    run_batch([folder], out, client=client)
    # As the earlier version recorded it: keyed by the resolved path, named so, no "target".
    store = ResultStore(out)
    record = json.loads(store.record_path(link).read_text())
    record.pop("target")
    record["input"] = record["row"]["input"] = str(target.resolve())
    store.record_path(link).unlink()
    assert _legacy_key(link) != input_key(link)
    (store.records / f"{_legacy_key(link)}.json").write_text(json.dumps(record))
    again = run_batch([folder], out, client=client)
    assert again.skipped == 1 and again.analysed == 0
    assert [r["input"] for r in read_table(out)] == [str(link)]


def test_a_rerun_with_nothing_left_prints_no_rate(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import gyml.batch.runner
    from gyml.batch.runner import BatchSummary
    from gyml.cli import app

    (tmp_path / "a.npz").touch()

    def all_done(inputs, out, on_start, **kwargs):
        on_start(0, 8)
        return BatchSummary(rows=[{}] * 8, analysed=0, skipped=8, seconds=64.0, workers=2)

    monkeypatch.setattr(gyml.batch.runner, "run_batch", all_done)
    result = CliRunner().invoke(app, ["batch", str(tmp_path), "--out", str(tmp_path / "r.jsonl")])
    assert result.exit_code == 0, result.output
    assert "inputs/min" not in result.output
    assert "all 8 from an earlier run" in result.output


def test_a_ctrl_c_before_anything_finished_leaves_the_table_as_it_was(tmp_path, client):
    paths = _sets(tmp_path / "sets", PLAN[:1])
    out = tmp_path / "r.jsonl"
    run_batch(paths, out, client=client)
    before = out.read_text()

    def ctrl_c(todo, skipped):
        raise KeyboardInterrupt

    # Other options: the earlier rows are not this run's, and it is stopped before it has rows of its own.
    with pytest.raises(BatchInterrupted) as stop:
        run_batch(paths, out, client=client, options=AnalysisOptions(exercise="lunge"), on_start=ctrl_c)
    assert stop.value.summary.rows == [] and stop.value.total == 1
    assert out.read_text() == before


def test_ctrl_c_gives_one_line_keeps_the_finished_rows_and_a_rerun_does_the_rest(tmp_path, client):
    inputs = _sets(tmp_path / "sets", PLAN[:1])
    # First in the order given and done at once (no model to load): the Ctrl-C comes while the other input
    # is analysed, one worker busy and one idle (an idle one printed its traceback every time).
    broken = tmp_path / "sets" / "a_broken.npz"
    broken.write_bytes(b"PK\x03\x04 not really an npz")
    out = tmp_path / "b" / "p.jsonl"
    out.parent.mkdir()
    records = out.parent / f".{out.name}.done"
    env = {**os.environ, "GYML_HOME": str(tmp_path / "home"), "GYML_CACHE": str(tmp_path / "cache")}
    env.pop("GYML_DEBUG", None)
    # A process group of its own, signalled as a whole: what Ctrl-C in a terminal does, workers included.
    run = subprocess.Popen([sys.executable, "-c", "from gyml.cli import main; main()", "batch",
                            str(tmp_path / "sets"), "--out", str(out), "--workers", "2"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, process_group=0)
    deadline = time.monotonic() + 60
    while not (records.is_dir() and any(records.iterdir())) and run.poll() is None:
        assert time.monotonic() < deadline, "no input finished in a minute"
        time.sleep(0.01)
    os.killpg(run.pid, signal.SIGINT)
    stdout, stderr = run.communicate(timeout=60)
    assert run.returncode == 2, (stdout, stderr)  # the code of every interrupted gyml command
    assert "Traceback" not in stderr, stderr
    # one line for the Ctrl-C; before it, the broken input's own line if it was shown in time
    *before, last = stderr.strip().splitlines()
    assert last.startswith("error: interrupted: ") and len(before) <= 1, stderr
    assert all(line.startswith("error: a_broken.npz: ") for line in before), stderr
    finished = len(list(records.iterdir()))
    assert finished == 1
    assert "1 of 2 inputs finished" in last
    # What was finished before the Ctrl-C is kept, in the table too.
    assert [r["input"] for r in read_table(out)] == [str(broken)]

    # The rerun (on the tests' cluster, to be quick) does the rest and tries the broken input again.
    rerun = run_batch([tmp_path / "sets"], out, client=client)
    assert rerun.skipped == 0 and rerun.analysed == 2
    rows = read_table(out)
    assert sorted(r["input"] for r in rows) == sorted(str(p) for p in [broken, *inputs])  # each once
    assert [r["input"] for r in rows if r["error"]] == [str(broken)]

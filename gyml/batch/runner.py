"""Batch analysis on Dask distributed: one task per input, results recorded as they arrive.

Where things go, for `--out results.parquet`:
  results.parquet            the table, one row per input, in the order the inputs were given
  results.analyses/*.json    each input's analysis (the JSON of `gyml analyze --json`)
  .results.parquet.done/     one small record per finished input, written atomically

A finished input is recorded the moment its result reaches the client, so a crash or Ctrl-C loses at
most the inputs in flight, and a rerun skips every input whose record matches the file's size and
modification time and was made with the same options (failed inputs are tried again; a rerun with
another `--exercise`, `--fps`, model, ... analyses every input again). The table is assembled from the records of the
inputs asked for, so it holds each input exactly once, whatever the scheduler retried: when a worker
dies, Dask reruns its tasks on the others and only the first result of each input is kept.

Inputs are named as found (absolute, symlinks not followed), in the rows and in the records' keys: a
folder of links to shared files gives rows of the folder's names, as `gyml analyze` does, and a link
pointed at another file is seen as changed (its record holds the file it pointed at).

Ctrl-C: the local cluster's workers ignore it (being in the terminal's process group, each printed a
traceback). The client stops taking results, writes the table of what is finished (when this run
finished any), ends the workers and raises `BatchInterrupted`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gyml.batch.tasks import AnalysisOptions, analyse_input
from gyml.errors import GymlError
from gyml.pose.readers import VIDEO_SUFFIXES
from gyml.pose.sequence import output_place_problem, write_atomically

POSE_SUFFIXES = {".npz", ".npy", ".csv", ".pkl", ".pickle"}
TABLE_SUFFIXES = (".parquet", ".jsonl")


def expand_inputs(items: Iterable[str | Path]) -> list[Path]:
    """Files as given; folders become the videos and pose files inside them (recursively, sorted)."""
    found: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            found.extend(sorted(p for p in item.rglob("*") if p.is_file() and not p.name.startswith(".")
                                and p.suffix.lower() in VIDEO_SUFFIXES | POSE_SUFFIXES))
        elif item.exists():
            found.append(item)
        else:
            raise GymlError(f"no such file or folder: {item}")
    # Absolute (workers may have another working folder) but not resolved: a link keeps its own name.
    unique = list(dict.fromkeys(Path(os.path.abspath(p)) for p in found))
    if not unique:
        raise GymlError("no videos or pose files among the inputs")
    return unique


def input_key(path: Path) -> str:
    return hashlib.sha256(os.path.abspath(path).encode()).hexdigest()[:20]


def _legacy_key(path: Path) -> str:
    """The key records had before inputs were named as found: the resolved path (a link's target)."""
    return hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:20]


def _stamp(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


class ResultStore:
    """The records of finished inputs beside the output table, and the table assembled from them."""

    def __init__(self, out: Path, options: AnalysisOptions | None = None):
        out = Path(out)
        if out.suffix.lower() not in TABLE_SUFFIXES:
            raise GymlError(f"--out must end in .parquet or .jsonl, got {out.name}")
        # a folder that is a file or a name too long: one line now, not an OSError when the records are made
        problem = output_place_problem(out)
        if problem:
            raise GymlError(f"--out: {problem}")
        self.out = out
        self.records = out.parent / f".{out.name}.done"
        self.analyses = out.parent / f"{out.stem}.analyses"
        # A record counts as finished only for the options it was made with: rows made another way are
        # not what this run was asked for.
        self.options = asdict(options or AnalysisOptions())

    def record_path(self, path: Path) -> Path:
        return self.records / f"{input_key(path)}.json"

    def analysis_path(self, path: Path) -> Path:
        return self.analyses / f"{path.stem}-{input_key(path)[:8]}.json"

    def load(self, path: Path) -> dict | None:
        places = [self.record_path(path)]
        if _legacy_key(path) != input_key(path):
            # a link finished by an earlier version, recorded under its target: the stamp and options
            # below still decide, so it is not analysed again only for the change of name
            places.append(self.records / f"{_legacy_key(path)}.json")
        target = os.path.realpath(path)
        for place in places:
            try:
                record = json.loads(place.read_text())
            except (OSError, ValueError):
                continue
            # "target" is missing from records of earlier versions: size and time decide alone there
            if record.get("stamp") == _stamp(path) and record.get("options") == self.options \
                    and record.get("target", target) == target:
                return record
        return None

    def is_done(self, path: Path) -> bool:
        record = self.load(path)
        return record is not None and record["row"]["error"] is None

    def record(self, path: Path, payload: dict) -> dict:
        """Write the analysis JSON, then the record that marks the input finished (both atomically)."""
        row = dict(payload["row"])
        if payload.get("analysis") is not None:
            self.analyses.mkdir(parents=True, exist_ok=True)
            target = self.analysis_path(path)
            text = json.dumps(payload["analysis"], indent=2)
            write_atomically(target, lambda fh: fh.write(text), mode="w")
            row["analysis"] = str(target)
        else:
            row["analysis"] = None
        self.records.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"input": str(path), "target": os.path.realpath(path), "stamp": _stamp(path),
                           "options": self.options, "row": row})
        write_atomically(self.record_path(path), lambda fh: fh.write(text), mode="w")
        return row

    def rows(self, inputs: list[Path]) -> list[dict]:
        """The rows of the inputs finished (with the options of this store), in the order given."""
        rows = []
        for path in inputs:
            record = self.load(path)
            if record is not None:
                # named as this run found it (a record of an earlier version may name a link's target)
                rows.append({**record["row"], "input": str(path)})
        return rows

    def assemble(self, inputs: list[Path]) -> list[dict]:
        rows = self.rows(inputs)
        write_table(self.out, rows)
        return rows


def write_table(out: Path, rows: list[dict]) -> None:
    if out.suffix.lower() == ".jsonl":
        text = "".join(json.dumps(r) + "\n" for r in rows)
        write_atomically(out, lambda fh: fh.write(text), mode="w")
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("input", pa.string()), ("count", pa.int64()), ("held_s", pa.float64()), ("exercise", pa.string()),
                        ("exercise_name", pa.string()), ("confidence", pa.float64()),
                        ("rep_scores", pa.list_(pa.float64())), ("faults", pa.list_(pa.string())),
                        ("frames", pa.int64()), ("fps", pa.float64()), ("summary", pa.string()),
                        ("error", pa.string()), ("seconds", pa.float64()), ("analysis", pa.string())])
    table = pa.Table.from_pylist(rows, schema=schema)
    write_atomically(out, lambda fh: pq.write_table(table, fh))


def read_table(out: Path) -> list[dict]:
    if Path(out).suffix.lower() == ".jsonl":
        return [json.loads(line) for line in Path(out).read_text().splitlines() if line.strip()]
    import pyarrow.parquet as pq
    return pq.read_table(out).to_pylist()


@dataclass
class BatchSummary:
    rows: list[dict]
    analysed: int = 0  # inputs run now
    skipped: int = 0  # inputs finished by an earlier run
    failed: int = 0
    seconds: float = 0.0
    workers: int = 0
    errors: list[str] = field(default_factory=list)


def _open_client(scheduler: str | None, workers: int | None):
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout="10s"), None
        except (OSError, TimeoutError) as exc:
            raise GymlError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
    import dask

    from gyml.pose.readers.video_chunks import default_jobs

    n = workers or default_jobs()
    # Non-daemonic workers may start processes: the span-parallel extraction of a long video (--jobs).
    # Dask starts its workers with MALLOC_TRIM_THRESHOLD_ set, which turns off glibc's adaptive mmap
    # threshold: every decoded frame (0.7 MB) is then mapped and unmapped afresh, 2.7 times the page faults
    # and about 7 % more processor time a frame (benchmarks/batch_scale.py). Our workers go without it.
    # Ctrl-C reaches the terminal's whole process group, the workers too, and each printed a traceback:
    # they ignore it, the client stops them. Started while this process ignores it (a new program keeps
    # an ignored signal ignored), and the preload ignores it again in every worker, also one the nanny
    # restarts later. A Ctrl-C during these 2 s of start is lost: the next one is heard.
    listen_again = _ignore_ctrl_c()
    try:
        with dask.config.set({"distributed.worker.daemon": False,
                              "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=logging.ERROR, preload=["gyml.batch.worker_setup"])
    finally:
        listen_again()
    try:
        return Client(cluster), cluster
    except BaseException:  # Ctrl-C included: the cluster is not known to the caller yet
        cluster.close()
        raise


def _ignore_ctrl_c() -> Callable[[], None]:
    """Ignore Ctrl-C in this process; the function returned listens again as before."""
    if threading.current_thread() is not threading.main_thread():  # signals are the main thread's
        return lambda: None
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    # None: a handler set outside Python, which Python cannot set again; its own is the nearest
    return lambda: signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


def run_batch(items: Iterable[str | Path], out: Path, *, scheduler: str | None = None,
              workers: int | None = None, jobs: int | None = None,
              options: AnalysisOptions | None = None,
              on_start: Callable[[int, int], None] | None = None,
              on_result: Callable[[dict], None] | None = None, client=None) -> BatchSummary:
    """Analyse every input on a Dask cluster, skipping those an earlier run finished.

    `jobs`: processes a worker uses to extract one long video in overlapping spans (default: the cores of
    this machine each local worker has to itself, so 1 when there is a worker per core; 1 on a remote
    cluster, whose workers may be daemonic and cannot start processes). `client`: an open Dask `Client`.
    On Ctrl-C: the table of the inputs finished so far is written (when this run finished any), then
    `BatchInterrupted` is raised.
    """
    from dask.distributed import as_completed

    options = options or AnalysisOptions()
    inputs = expand_inputs(items)
    store = ResultStore(out, options)
    todo = [p for p in inputs if not store.is_done(p)]
    summary = BatchSummary(rows=[], skipped=len(inputs) - len(todo))
    started = time.perf_counter()
    own_client = cluster = None
    interrupted = False
    listen_again: Callable[[], None] = lambda: None
    try:
        try:
            if client is None:
                own_client, cluster = _open_client(scheduler, workers)
                client = own_client
            summary.workers = len(client.scheduler_info().get("workers", {}))
            if jobs is None:
                from gyml.pose.readers.video_chunks import default_jobs
                jobs = max(1, default_jobs() // max(1, summary.workers)) if cluster is not None else 1
            if on_start is not None:
                on_start(len(todo), summary.skipped)
            futures = {}
            for path in todo:
                future = client.submit(analyse_input, str(path), options, jobs,
                                       key=f"gyml-analyse-{input_key(path)}", pure=False)
                futures[future] = path
            for future in as_completed(futures):
                path = futures[future]
                try:
                    payload = future.result()
                except Exception as exc:  # noqa: BLE001 - e.g. a task that killed its worker on every try
                    payload = {"row": _failed_row(path, f"{type(exc).__name__}: {exc}"), "analysis": None}
                row = store.record(path, payload)
                summary.analysed += 1
                if row["error"]:
                    summary.failed += 1
                    summary.errors.append(f"{path.name}: {row['error']}")
                if on_result is not None:
                    on_result(row)
                future.release()
        except KeyboardInterrupt:
            # What is recorded stays (each record is written whole); the inputs in flight are lost and a
            # rerun does them.
            interrupted = True
        # From here on a Ctrl-C (a second press; `timeout -s INT` sends two) would only cut short the
        # table's writing or the cluster's stop, both quick: it is not listened to until they are done.
        listen_again = _ignore_ctrl_c()
        if interrupted and not summary.analysed:
            # nothing new for the table: a table already there (say, of a run with other options) stays
            summary.rows = store.rows(inputs)
        else:
            summary.rows = store.assemble(inputs)
    finally:
        # After a Ctrl-C, what the scheduler and nannies here log of workers ended mid-task is no news.
        dask_log = logging.getLogger("distributed")
        level = dask_log.level
        if interrupted:
            dask_log.setLevel(logging.CRITICAL)
        try:
            if own_client is not None:
                own_client.close()
            if cluster is not None:
                if interrupted:
                    _stop_workers_now(cluster)
                cluster.close()
        finally:
            dask_log.setLevel(level)
            listen_again()
    summary.seconds = time.perf_counter() - started
    if interrupted:
        raise BatchInterrupted(summary, len(inputs))
    return summary


def _stop_workers_now(cluster) -> None:
    """End the local workers at once, for a Ctrl-C. A worker's own close waits up to 4 s for the task it
    runs, which nobody wants now, and meanwhile it may log a heartbeat cut short, traceback and all.
    Workers write nothing (the client does, and the pose cache is written atomically): killing one leaves
    no file half-made."""
    import asyncio

    async def close_all():
        # 0.1 s to go by itself, then SIGKILL (Nanny.close; a closing nanny restarts no worker)
        await asyncio.gather(*(nanny.close(timeout=0.1, reason="gyml-batch-interrupted")
                               for nanny in list(cluster.workers.values())), return_exceptions=True)
    # another Dask's internals may differ: then the cluster's own close does it, only slower
    with contextlib.suppress(Exception):
        cluster.sync(close_all)


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C during a batch, after the table of the finished inputs was written (if any finished now):
    `summary` tells what was done (rows: the finished inputs, this run's and earlier ones'; `analysed`:
    this run's), `total` how many were asked for."""

    def __init__(self, summary: BatchSummary, total: int):
        super().__init__("interrupted")
        self.summary = summary
        self.total = total


def _failed_row(path: Path, error: str) -> dict:
    from gyml.batch.tasks import table_row
    return table_row(str(path), None, error, 0.0)


def worker_pids(client) -> dict[str, int]:
    """Process id of every worker of a cluster (tests and benchmarks kill one)."""
    return client.run(os.getpid)

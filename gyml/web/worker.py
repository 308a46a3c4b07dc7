"""Worker processes: each takes queued analyses from the database, one at a time, and stores the outcome.

The server starts them (spawned, not forked: the server runs threads) and they die with it; a job left
'running' by a worker that is gone goes back to the queue when the server (re)starts or notices it.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import threading
import time
from pathlib import Path

from gyml.errors import GymlError
from gyml.web import store

PROGRESS_EVERY_S = 0.5


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when the server dies (even by SIGKILL); elsewhere, poll."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()


def worker_main(database_url: str, data_dir: str, parent: int, poll_s: float = 0.5) -> None:
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the server's to handle
    engine = store.open_engine(database_url)
    data = Path(data_dir)
    pid = os.getpid()
    _warm_up()
    while True:
        job = store.claim(engine, pid)
        if job is None:
            time.sleep(poll_s)
            continue
        run_job(engine, data, job, pid)


def _warm_up() -> None:
    """Import the pipeline and load the exercise model before the first job arrives, not after."""
    try:
        import gyml.pipeline
        import gyml.pose.readers.video  # noqa: F401
        from gyml.classify.default import DEFAULT_MODEL, load_model

        if DEFAULT_MODEL.exists():
            load_model()
    except (ImportError, GymlError, OSError):
        pass   # the first job will say what is missing


def run_job(engine, data: Path, job: store.Job, pid: int) -> None:
    out_dir = data / "results" / job.id
    last = [0.0]

    def progress(stage: str, fraction: float | None = None, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            store.report_progress(engine, job.id, pid, stage, fraction)

    try:
        result, files = analyse_upload(engine, data / "uploads" / job.stored_name, job, out_dir, data, progress)
    except GymlError as exc:
        stored = store.finish(engine, job.id, pid, error=store.as_named(str(exc), job.stored_name, job.input_name))
    except Exception as exc:  # noqa: BLE001 - a bug of ours still ends as a failed job, never a lost one
        stored = store.finish(engine, job.id, pid, error=store.as_named(f"unexpected {type(exc).__name__}: {exc}",
                                                                        job.stored_name, job.input_name))
    else:
        stored = store.finish(engine, job.id, pid, result=result, files=files)
    if not stored:   # deleted while it ran: leave nothing behind
        shutil.rmtree(out_dir, ignore_errors=True)


def analyse_upload(engine, path: Path, job: store.Job, out_dir: Path, data: Path, progress) -> tuple[dict, dict]:
    """Pose -> analysis -> JSON, HTML report, pose file and (for videos) the overlay video. A pose file is
    read at the upload's `fps` and in its `layout` (both None for a video, which carries its own rate)."""
    from gyml.pipeline import analyze_sequence
    from gyml.pose.cache import cached_read_pose
    from gyml.report.html import write_html

    progress("reading pose", 0.0, force=True)
    try:
        seq = cached_read_pose(path, fps=job.fps, layout=job.layout, progress=lambda done, total: progress(
            "reading pose", done / total if total else None))
    except GymlError as exc:
        raise GymlError(in_api_words(str(exc))) from None
    gold = None
    if job.gold_id:
        gold_row = store.get(engine, job.gold_id)
        gold_file = data / "results" / job.gold_id / "pose.npz"
        if gold_row is None or not gold_file.exists():   # deleted after this job was queued
            raise GymlError(f"the gold (analysis {job.gold_id}) was deleted before this analysis ran: upload the "
                            "recording again with another gold, or none")
        if gold_row.status != "done":
            raise GymlError(f"gold reference {job.gold_id}: no finished analysis with that id")
        gold = _labelled_gold(gold_file, gold_row, job)
    progress("analysing", None, force=True)
    try:
        analysed = analyze_sequence(seq, job.input_name, exercise=job.exercise, gold=gold)
    except GymlError as exc:
        raise GymlError(in_api_words(str(exc))) from None
    for note in analysed.analysis.feedback:   # "give --fps": an upload has the fps field instead
        note.message = in_api_words(note.message)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    analysed.analysis.write_json(out_dir / "analysis.json")
    files["json"] = "analysis.json"
    seq.save(out_dir / "pose.npz")
    files["pose"] = "pose.npz"
    progress("writing the report", None, force=True)
    try:   # the report with fault frames from the video, where this version of gyml has it
        from gyml.report.html import write_report
    except ImportError:
        write_html(analysed.analysis, out_dir / "report.html", analysed.reps.signal)
    else:
        write_report(analysed, out_dir / "report.html", video_path=path if job.kind == "video" else None)
    files["report"] = "report.html"
    overlay_error = None
    if job.kind == "video":
        writer = _overlay_writer()
        if writer is not None:
            progress("drawing the overlay video", 0.0, force=True)
            try:
                writer(analysed, path, out_dir / "overlay.mp4",
                       progress=lambda done, total: progress("drawing the overlay video",
                                                             done / total if total else None))
                files["overlay"] = "overlay.mp4"
            except GymlError as exc:
                overlay_error = str(exc)
    result = analysed.analysis.to_dict()
    if overlay_error:
        result["overlay_error"] = overlay_error
    return result, files


def _labelled_gold(gold_file: Path, gold_row, job: store.Job):
    """The gold analysis's pose, labelled with the exercise that analysis found (`store.exercise_of`, as the
    upload's check read it) and its file's name, so that the analysis refuses a gold of another exercise than
    the recording's, as `gyml analyze --gold` does. An exercise named with the upload was checked against the
    gold's then (app._check_gold)."""
    from gyml.coach.gold import gold_info
    from gyml.pose.sequence import PoseSequence

    gold = PoseSequence.load(gold_file)
    gold.metadata["gold"] = gold_info(store.exercise_of(gold_row), gold_row.input_name or "reference", "file")
    gold.metadata["gold_checked"] = job.exercise is not None
    return gold


# the pipeline's and the readers' advice names the command line's options; an upload has fields instead
_CLI_ADVICE = {": name the exercise with --exercise, or pass --force":
               ": choose a gold of the same exercise, or name the exercise (the exercise field)",
               "give --fps if": "give the fps field if",
               "--layout NAME": "the layout field", "--layout": "the layout field"}


def in_api_words(message: str) -> str:
    """A message of the pipeline or a reader with the upload's fields where it names command-line options."""
    for cli, api in _CLI_ADVICE.items():
        message = message.replace(cli, api)
    return message


def _overlay_writer():
    """The report's overlay video writer, where this version of gyml has one."""
    try:
        from gyml.report.overlay import write_overlay
    except ImportError:
        return None
    return write_overlay


class WorkerPool:
    """The server's worker processes, restarted when one dies (its job goes back to the queue)."""

    def __init__(self, settings, engine):
        self.settings = settings
        self.engine = engine
        self.context = multiprocessing.get_context("spawn")
        self.processes: list = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._supervisor: threading.Thread | None = None

    def _spawn(self):
        process = self.context.Process(target=worker_main, name="gyml-worker", daemon=True, args=(
            self.settings.database_url, str(self.settings.data_dir), os.getpid(), self.settings.poll_s))
        process.start()
        return process

    def start(self) -> None:
        store.requeue_orphans(self.engine)
        self.processes = [self._spawn() for _ in range(self.settings.workers)]
        self._supervisor = threading.Thread(target=self._supervise, name="gyml-supervisor", daemon=True)
        self._supervisor.start()

    def pids(self) -> set[int]:
        return {p.pid for p in self.processes if p.pid is not None}

    def _supervise(self) -> None:
        while not self._stop.wait(2.0):
            with self._lock:
                dead = [p for p in self.processes if not p.is_alive()]
                if not dead:
                    continue
                self.processes = [p for p in self.processes if p.is_alive()]
                store.requeue_orphans(self.engine, alive=self.pids())
                self.processes += [self._spawn() for _ in dead]

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            pids = self.pids()
            for p in self.processes:
                p.terminate()
            for p in self.processes:
                p.join(5)
                if p.is_alive():
                    p.kill()
            store.release(self.engine, pids)

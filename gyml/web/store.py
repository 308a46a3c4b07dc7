"""The analyses and their queue, in one SQL table (SQLite by default) through SQLAlchemy.

A job is claimed by a conditional UPDATE (status still 'queued'), so two workers never take the same one;
a result is stored by another (status still 'running' and still this worker's), so a job that was
deleted or requeued meanwhile is never written over. A job 'running' whose worker process is gone (the
server was killed, the worker crashed) goes back to the queue; after MAX_ATTEMPTS such starts it fails.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass

import psutil
from sqlalchemy import Float, Integer, String, Text, create_engine, event, func, inspect, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STATUSES = ("queued", "running", "done", "failed")
MAX_ATTEMPTS = 3


class Base(DeclarativeBase):
    pass


class AnalysisRow(Base):
    __tablename__ = "analyses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    input_name: Mapped[str] = mapped_column(String(255))       # shown to the user, never used as a path
    stored_name: Mapped[str] = mapped_column(String(64))       # generated file name under uploads/
    kind: Mapped[str] = mapped_column(String(16))              # sniffed format: video, npz, pickle, ...
    exercise: Mapped[str | None] = mapped_column(String(64), nullable=True)
    gold_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    fps: Mapped[float | None] = mapped_column(Float, nullable=True)          # the rate to read a pose file at
    layout: Mapped[str | None] = mapped_column(String(16), nullable=True)   # a pose file's keypoint layout
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float, index=True)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    stage: Mapped[str | None] = mapped_column(String(64), nullable=True)
    progress: Mapped[float | None] = mapped_column(Float, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker_pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    worker_started: Mapped[float | None] = mapped_column(Float, nullable=True)   # the process's start time
    result_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)      # for the history, without the result
    rep_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    files_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the few words of a result the history shows, kept beside it: the listing never reads results' JSON
    exercise_label: Mapped[str | None] = mapped_column(String(64), nullable=True)   # as found (or named)
    exercise_text: Mapped[str | None] = mapped_column(String(255), nullable=True)   # as the pages name it
    gold_name: Mapped[str | None] = mapped_column(String(255), nullable=True)       # None: the built-in one


@dataclass
class Job:
    id: str
    stored_name: str
    kind: str
    input_name: str
    exercise: str | None
    gold_id: str | None
    fps: float | None = None      # how to read a pose file (None: as the file says, else 30 fps / sniffed)
    layout: str | None = None


def open_engine(url: str) -> Engine:
    """The engine, with the table created; SQLite gets WAL (readers do not wait for the writer) and a
    busy timeout (several processes write)."""
    sqlite = url.startswith("sqlite")
    engine = create_engine(url, connect_args={"timeout": 30} if sqlite else {})
    if sqlite:
        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):
            cursor = conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
    Base.metadata.create_all(engine)
    if "exercise_text" in _add_new_columns(engine):
        _fill_overviews(engine)
    return engine


def _add_new_columns(engine: Engine) -> set[str]:
    """A database made by an earlier gyml lacks the (nullable) columns added since: add them, so that its
    history is kept. Another process adding the same column at the same time is no error. The names of the
    columns this call added."""
    table = AnalysisRow.__table__
    have = {column["name"] for column in inspect(engine).get_columns(table.name)}
    added = set()
    for column in table.c:
        if column.name in have or not column.nullable:
            continue
        try:
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} "
                                  f"{column.type.compile(engine.dialect)}"))
        except DBAPIError:
            if column.name not in {c["name"] for c in inspect(engine).get_columns(table.name)}:
                raise
        else:
            added.add(column.name)
    return added


def _fill_overviews(engine: Engine) -> None:
    """The history's words for the analyses an earlier gyml finished (their results are read once, here)."""
    table = AnalysisRow.__table__
    with engine.connect() as conn:
        ids = conn.execute(select(table.c.id).where(table.c.status == "done", table.c.result_json.is_not(None),
                                                    table.c.exercise_text.is_(None))).scalars().all()
    for job_id in ids:
        with engine.begin() as conn:
            result_json = conn.execute(select(table.c.result_json).where(table.c.id == job_id)).scalar_one_or_none()
            if result_json:
                conn.execute(update(table).where(table.c.id == job_id).values(**overview(json.loads(result_json))))


def overview(result: dict | None) -> dict:
    """What the history shows of a result: the exercise found (its label, and as the pages name it:
    gyml.report.analysis.exercise_text) and the name of the person's own gold it was coached against (None
    for the built-in reference, and for a hold, whose result names no gold)."""
    if not result:
        return {"exercise_label": None, "exercise_text": None, "gold_name": None}
    from gyml.report.analysis import exercise_text

    exercise = result.get("exercise")
    label = (exercise or {}).get("label")
    gold = (result.get("coach") or {}).get("gold") or {}
    return {"exercise_label": None if label in (None, "unknown") else str(label)[:64],
            "exercise_text": exercise_text(exercise)[:255],
            "gold_name": str(gold["name"])[:255] if gold.get("source") in ("file", "library") and gold.get("name")
            else None}


def new_id() -> str:
    return uuid.uuid4().hex


def enqueue(engine: Engine, job_id: str, stored_name: str, kind: str, input_name: str, size_bytes: int,
            exercise: str | None = None, gold_id: str | None = None, fps: float | None = None,
            layout: str | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(AnalysisRow.__table__.insert().values(
            id=job_id, status="queued", input_name=input_name[:255], stored_name=stored_name, kind=kind,
            exercise=exercise, gold_id=gold_id, fps=fps, layout=layout, size_bytes=size_bytes,
            created_at=time.time(), attempts=0))


def _process_start(pid: int) -> float | None:
    try:
        process = psutil.Process(pid)
        # a killed worker whose server died too is reparented; where nothing reaps it (PID 1 of a
        # container often does not) it lingers as a zombie with its old start time: dead all the same
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process.create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def claim(engine: Engine, pid: int) -> Job | None:
    """Take the oldest queued job for the worker `pid`, or None when the queue is empty."""
    table = AnalysisRow.__table__
    started = _process_start(pid)
    while True:
        with engine.begin() as conn:
            row = conn.execute(select(table.c.id).where(table.c.status == "queued")
                               .order_by(table.c.created_at).limit(1)).first()
            if row is None:
                return None
            taken = conn.execute(update(table).where(table.c.id == row.id, table.c.status == "queued").values(
                status="running", worker_pid=pid, worker_started=started, started_at=time.time(),
                attempts=table.c.attempts + 1, stage="starting", progress=0.0))
            if taken.rowcount == 1:
                job = conn.execute(select(table).where(table.c.id == row.id)).one()
                return Job(job.id, job.stored_name, job.kind, job.input_name, job.exercise, job.gold_id,
                           job.fps, job.layout)
        # another worker took it between our read and our update: look again


def report_progress(engine: Engine, job_id: str, pid: int, stage: str, progress: float | None) -> None:
    table = AnalysisRow.__table__
    with engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == job_id, table.c.worker_pid == pid,
                                         table.c.status == "running").values(stage=stage, progress=progress))


def finish(engine: Engine, job_id: str, pid: int, result: dict | None = None, files: dict | None = None,
           error: str | None = None) -> bool:
    """Store the outcome; False when the job is no longer this worker's (deleted or requeued meanwhile)."""
    table = AnalysisRow.__table__
    with engine.begin() as conn:
        done = conn.execute(update(table).where(
            table.c.id == job_id, table.c.worker_pid == pid, table.c.status == "running").values(
            status="failed" if error else "done", finished_at=time.time(), stage=None,
            progress=None if error else 1.0, error=error,
            result_json=None if result is None else json.dumps(result),
            summary=None if result is None else result.get("summary"),
            rep_count=None if result is None or result.get("hold") else (result.get("reps") or {}).get("count"),
            files_json=json.dumps(files or {}), **overview(result)))
    return done.rowcount == 1


def requeue_orphans(engine: Engine, alive: set[int] | None = None) -> list[str]:
    """Jobs 'running' in a process that no longer exists (or is another process by now) go back to the
    queue, or fail once they have been started MAX_ATTEMPTS times. `alive` names worker pids known to be
    ours and alive; others are checked with the operating system."""
    table = AnalysisRow.__table__
    moved = []
    with engine.begin() as conn:
        rows = conn.execute(select(table.c.id, table.c.worker_pid, table.c.worker_started, table.c.attempts)
                            .where(table.c.status == "running")).all()
        for row in rows:
            if alive is not None and row.worker_pid in alive:
                continue
            started = _process_start(row.worker_pid) if row.worker_pid else None
            if alive is None and started is not None and row.worker_started is not None \
                    and abs(started - row.worker_started) < 1.0:
                continue   # its worker still runs (a server we do not know of shares the database)
            values = {"status": "queued", "worker_pid": None, "worker_started": None, "stage": None,
                      "progress": None, "started_at": None}
            if row.attempts >= MAX_ATTEMPTS:
                values = {"status": "failed", "finished_at": time.time(), "stage": None,
                          "error": f"the analysis stopped its worker {row.attempts} times; it was given up"}
            conn.execute(update(table).where(table.c.id == row.id, table.c.status == "running").values(**values))
            moved.append(row.id)
    return moved


def release(engine: Engine, pids: set[int]) -> None:
    """A clean shutdown: the jobs our workers were running go back to the queue, no attempt counted."""
    table = AnalysisRow.__table__
    if not pids:
        return
    with engine.begin() as conn:
        conn.execute(update(table).where(table.c.status == "running", table.c.worker_pid.in_(pids)).values(
            status="queued", worker_pid=None, worker_started=None, stage=None, progress=None, started_at=None,
            attempts=table.c.attempts - 1))


def get(engine: Engine, job_id: str):
    table = AnalysisRow.__table__
    with engine.connect() as conn:
        return conn.execute(select(table).where(table.c.id == job_id)).first()


def held_seconds(engine: Engine, job_id: str) -> float | None:
    """A finished hold's time under tension (a hold has no rep count to list)."""
    row = get(engine, job_id)
    result = json.loads(row.result_json) if row is not None and row.result_json else {}
    return (result.get("hold") or {}).get("time_under_tension_s")


def listing(engine: Engine, limit: int = 200):
    """The newest analyses, without their results (the history needs the summary and the count only; a
    finished hold, which has no count, its time: `held_seconds`)."""
    table = AnalysisRow.__table__
    columns = [c for c in table.c if c.name != "result_json"]
    with engine.connect() as conn:
        return conn.execute(select(*columns).order_by(table.c.created_at.desc()).limit(limit)).all()


def queued_before(engine: Engine, created_at: float) -> int:
    table = AnalysisRow.__table__
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(
            table.c.status == "queued", table.c.created_at < created_at)).scalar_one()


def delete(engine: Engine, job_id: str) -> bool:
    table = AnalysisRow.__table__
    with engine.begin() as conn:
        return conn.execute(table.delete().where(table.c.id == job_id)).rowcount == 1


UNFINISHED = ("queued", "running")


def delete_unless_gold(engine: Engine, job_id: str) -> int:
    """Delete an analysis unless a job not finished yet uses it as its gold, in one statement (no job can
    start using it in between): 0 once deleted, else how many such jobs there are (nothing deleted)."""
    table = AnalysisRow.__table__
    user = table.alias("user")

    def uses_it(rows):   # the jobs not finished yet whose gold it is
        return (rows.c.gold_id == job_id) & rows.c.status.in_(UNFINISHED)

    with engine.begin() as conn:
        if conn.execute(table.delete().where(table.c.id == job_id,
                                             ~select(user.c.id).where(uses_it(user)).exists())).rowcount == 1:
            return 0
        return conn.execute(select(func.count()).select_from(table).where(uses_it(table))).scalar_one()


def as_named(message: str, stored_name: str, input_name: str) -> str:
    """A message about an upload with the user's name for the file: the readers name the file they read,
    which is stored under a generated name (the title said empty_room.mp4, the error 7eb6...2e2a.mp4)."""
    return re.sub(r"(/[^\s:'\"]*/)?" + re.escape(stored_name), lambda _m: input_name, message)


def exercise_of(row) -> str | None:
    """The exercise a finished analysis found (or was told), as a catalog or own label; None when unknown."""
    result = json.loads(row.result_json) if getattr(row, "result_json", None) else {}
    label = (result.get("exercise") or {}).get("label")
    return None if label in (None, "unknown") else label


def to_api(row, queue_ahead: int | None = None) -> dict:
    """The API's view of a row: the issue's fields (id, status, result, error) and the bookkeeping."""
    files = json.loads(row.files_json) if row.files_json else {}
    result_json = getattr(row, "result_json", None)
    out = {"id": row.id, "status": row.status,
           "result": json.loads(result_json) if result_json else None,
           "error": as_named(row.error, row.stored_name, row.input_name) if row.error else None,
           "input_name": row.input_name, "kind": row.kind, "exercise": row.exercise, "gold_id": row.gold_id,
           "fps": row.fps, "layout": row.layout,
           "size_bytes": row.size_bytes, "created_at": row.created_at, "started_at": row.started_at,
           "finished_at": row.finished_at, "stage": row.stage, "progress": row.progress,
           "attempts": row.attempts,
           "queue_wait_s": None if row.started_at is None else round(row.started_at - row.created_at, 3),
           "run_s": None if row.finished_at is None or row.started_at is None
           else round(row.finished_at - row.started_at, 3),
           "files": {name: f"/api/analyses/{row.id}/{name}" for name in files}}
    if queue_ahead is not None:
        out["queue_ahead"] = queue_ahead
    return out

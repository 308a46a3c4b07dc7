"""`gyml batch`: the Typer command over `gyml.batch.runner` (registered in gyml/cli.py)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import ProgressColumn
from rich.text import Text

from gyml.progress import progress_bar
from gyml.validate import LAYOUT_OPTION_HELP


class ThroughputColumn(ProgressColumn):
    """Finished inputs a minute, over the whole run so far (steadier than Rich's windowed speed)."""

    def render(self, task) -> Text:
        elapsed = task.elapsed or 0.0
        if task.completed <= 0 or elapsed <= 0:
            return Text("- inputs/min", style="progress.data.speed")
        return Text(f"{60 * task.completed / elapsed:.1f} inputs/min", style="progress.data.speed")


def batch(inputs: list[Path] = typer.Argument(..., help="videos, pose files or folders of them"),
          out: Path = typer.Option(..., "--out", help="results table: .parquet or .jsonl"),
          scheduler: str | None = typer.Option(None, help="address of a running Dask scheduler, e.g. "
                                               "tcp://10.0.0.5:8786 (default: a local cluster)"),
          workers: int | None = typer.Option(None, help="worker processes of the local cluster (default: cores)"),
          jobs: int | None = typer.Option(None, help="processes a worker uses to extract one long video in "
                                          "overlapping spans (default: the cores a local worker has to "
                                          "itself, 1 on a remote cluster; 1: one pass)"),
          exercise: str | None = typer.Option(None, help="skip recognition: the exercise's name"),
          method: str = typer.Option("gyml", help="rep counter: gyml or paper"),
          coach: str = typer.Option("gyml", help="coach: gyml or paper"),
          strictness: str = typer.Option("intermediate", help="beginner, intermediate or expert"),
          model: Path | None = typer.Option(None, help="exercise model from gyml train (default: the shipped one)"),
          fps: float | None = typer.Option(None, help="frame rate for pose files that do not store it"),
          layout: str | None = typer.Option(None, help=LAYOUT_OPTION_HELP)):
    """Analyse many inputs on a Dask cluster: one table row and one JSON per input; a rerun resumes."""
    from gyml.batch.runner import BatchInterrupted, run_batch
    from gyml.batch.tasks import AnalysisOptions
    from gyml.cli import err, fail
    from gyml.cli import out as console
    from gyml.coach.compare import STRICTNESS
    from gyml.coach.session import COACH_METHODS
    from gyml.reps.counter import METHODS
    from gyml.validate import check_choice, check_fps, check_layout

    # refused once, here, as `gyml analyze` refuses them, not as the same failure on every input
    check_choice("strictness", strictness, STRICTNESS)
    check_choice("counting method", method, METHODS)
    check_choice("coach", coach, COACH_METHODS)
    if workers is not None and workers < 1:
        fail("--workers must be at least 1")
    check_fps(fps)   # refused once, here (one line: `friendly`), not as the same error on every input
    layout = check_layout(layout)
    options = AnalysisOptions(exercise=exercise, count_method=method, coach_method=coach, strictness=strictness,
                              model_path=str(model) if model else None, fps=fps, layout=layout)
    progress = progress_bar(console=err, extra=(ThroughputColumn(),))
    state: dict = {}

    def on_start(todo: int, skipped: int) -> None:
        if skipped:
            console.print(f"{skipped} input{'s' if skipped != 1 else ''} already done (skipped)")
        state["task"] = progress.add_task("analysing", total=todo)

    def on_result(row: dict) -> None:
        progress.advance(state["task"])
        if row["error"]:
            name = Path(row["input"]).name
            message = row["error"] if row["error"].startswith(name) else f"{name}: {row['error']}"
            err.print(f"[red]error:[/] {message}", highlight=False, soft_wrap=True)   # one line, as analyze

    try:
        with progress:
            summary = run_batch(inputs, out, scheduler=scheduler, workers=workers, jobs=jobs, options=options,
                                on_start=on_start, on_result=on_result)
    except BatchInterrupted as stop:
        # one line and the exit code of every interrupted gyml command (`friendly`); the workers are quiet,
        # and so is Dask's reaping of a worker process still ending as this one exits (an INFO line after
        # ours, seen under load)
        import logging
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        done, total = len(stop.summary.rows), stop.total
        where = f" (their rows in {out})" if stop.summary.analysed else ""   # the table is written then only
        if done == total:  # the last result came in with the Ctrl-C
            fail(f"interrupted: all {done} inputs finished{where}")
        fail(f"interrupted: {done} of {total} input{'s' if total != 1 else ''} finished{where}; "
             "the same command again resumes with the rest")
    console.print(f"wrote {out} ({len(summary.rows)} inputs: {_tally(summary)})")
    if summary.failed:
        raise typer.Exit(2)


def _tally(summary) -> str:
    """What this run did; a rate only over inputs analysed now (none: a rate of nothing means nothing)."""
    if summary.analysed == 0:
        return f"all {summary.skipped} from an earlier run, nothing left to analyse"
    rate = 60 * summary.analysed / summary.seconds if summary.seconds > 0 else 0.0
    return (f"{summary.analysed - summary.failed} analysed now, {summary.skipped} from an earlier run, "
            f"{summary.failed} failed; {rate:.1f} inputs/min on {summary.workers} workers")

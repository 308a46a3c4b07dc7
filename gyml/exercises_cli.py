"""`gyml exercises`: the catalog plus the person's own exercises (add, remove, list). A thin layer over
gyml.classify.personal; registered in gyml/cli.py."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Column, Table

exercises_app = typer.Typer(help="The exercise catalog and your own exercises (gyml exercises add/remove).")


def friendly(func):
    """gyml.cli's one-line errors, looked up when the command runs: gyml/cli.py imports this module at its
    end, so importing it back here at load time would be circular."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from gyml.cli import friendly as one_line_errors
        return one_line_errors(func)(*args, **kwargs)
    return wrapper


def _show() -> None:
    from gyml.classify.personal import exercises_dir, list_personal
    from gyml.cli import out
    from gyml.coach.session import coach_faults
    from gyml.synth.catalog import CATALOG

    # faults wrap rather than end in "..." in a narrow terminal or a pipe: a cut list hides checks
    table = Table("label", "name", "posture", Column("faults", overflow="fold"), "FLAG3D")
    for spec in CATALOG.values():
        table.add_row(spec.label, spec.name, spec.posture, ", ".join(coach_faults(spec.label)), spec.flag3d_id or "")
    out.print(table)
    mine = list_personal()
    if not mine:
        out.print(f"no exercises of your own yet (gyml exercises add NAME VIDEO...; stored in {exercises_dir()})",
                  highlight=False, soft_wrap=True)
        return
    own = Table("your exercise", "name", "kind", "recordings", "added", title="your own exercises")
    for ex in mine:
        own.add_row(ex.label, ex.name, "hold" if ex.hold else "reps", str(len(ex.examples)), ex.created[:10])
    out.print(own)


@exercises_app.callback(invoke_without_command=True)
@friendly
def exercises(ctx: typer.Context):
    """List the exercise catalog and your own exercises."""
    if ctx.invoked_subcommand is None:
        _show()


@exercises_app.command("list")
@friendly
def list_command():
    """List the exercise catalog and your own exercises."""
    _show()


@exercises_app.command("add")
@friendly
def add_command(name: Annotated[str, typer.Argument(help="a plain name, e.g. box_step")],
                recordings: Annotated[list[Path], typer.Argument(help="videos or pose files of the exercise "
                                                                      "(three or more recognise it best)")],
                force: Annotated[bool, typer.Option(help="replace your exercise of that name, or use a "
                                                         "catalog name for your own version")] = False,
                fps: Annotated[float | None, typer.Option(help="frame rate for pose files that do not "
                                                               "store it")] = None,
                layout: Annotated[str | None, typer.Option(help="keypoint layout of .npy/.json/.csv files "
                                                                "whose keypoint count fits several")] = None,
                hold: Annotated[bool | None, typer.Option("--hold/--reps", help="held still (timed, not "
                                                          "counted) or repeated; by default told from the "
                                                          "recordings")] = None):
    """Learn an exercise of your own from a few recordings; they become its gold reference."""
    from gyml.classify.personal import add, check_name
    from gyml.cli import _progress, _read, out
    from gyml.pose.layouts import get_layout

    check_name(name, force)  # a bad name or layout fails before any video is decoded
    if layout is not None:
        get_layout(layout)
    with _progress() as progress:
        seqs = [_read(path, progress, fps, layout) for path in recordings]
        task = progress.add_task("catalog background (once)", total=None)
        ex = add(name, seqs, [str(p) for p in recordings], force=force, hold=hold,
                 progress=lambda done, total: progress.update(task, completed=done, total=total))
        progress.remove_task(task)
    out.print(f"learned '{ex.label}' from {len(ex.examples)} recording{'s' if len(ex.examples) != 1 else ''}"
              f"{' (a hold)' if ex.hold else ''}; `gyml analyze` now recognises, "
              f"{'times' if ex.hold else 'counts'} and coaches it",
              highlight=False, soft_wrap=True)


@exercises_app.command("remove")
@friendly
def remove_command(name: Annotated[str, typer.Argument(help="your exercise's name")]):
    """Forget one of your own exercises and the recordings stored for it."""
    from gyml.classify.personal import remove
    from gyml.cli import out

    ex = remove(name)
    out.print(f"removed '{ex.label}' and its {len(ex.examples)} stored recording"
              f"{'s' if len(ex.examples) != 1 else ''}", highlight=False)

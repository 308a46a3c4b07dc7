"""The progress bar of every step that takes more than a second: on stderr (stdout may be JSON), gone when
the step is done, and silent when stderr is not a terminal (pipes, logs, tests)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)


def progress_bar(show: bool = True, console: Console | None = None, extra: tuple[ProgressColumn, ...] = ()
                 ) -> Progress:
    """A bar with the task's description, done / total and the time left (`extra` columns before it)."""
    console = console or Console(stderr=True)
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), *extra,
                    TimeRemainingColumn(), console=console, transient=True,
                    disable=not (show and console.is_terminal))

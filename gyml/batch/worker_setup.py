"""Preload of the local cluster's workers (`gyml batch` without --scheduler): Ctrl-C is the client's,
and so is the close.

The terminal sends Ctrl-C to its whole process group, so to every worker too, and each printed a
traceback; the client closes the cluster itself (`gyml.batch.runner._open_client`). Workers are mostly
started ignoring it already; this covers one the nanny restarts after a worker died, which starts
while the client listens for Ctrl-C (and so could not inherit the ignoring).
"""

from __future__ import annotations

import logging
import signal


def dask_setup(worker) -> None:
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: a worker run some other way, whose Ctrl-C is not ours
        pass


def dask_teardown(worker) -> None:
    # The worker is closing, as the client asked: a heartbeat the scheduler cut short meanwhile is logged
    # as an error with its traceback, noise to whoever pressed Ctrl-C or waits for the table.
    logging.getLogger("distributed").setLevel(logging.CRITICAL)

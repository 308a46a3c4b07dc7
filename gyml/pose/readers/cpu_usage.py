"""Processor time of the threads of this process, grouped by what they do.

Wall time on a shared machine says how busy the machine was; processor time (user + system, from
/proc/self/task/*/stat) says what the work cost, and the threads' names say who did it: MediaPipe's
calculator graph names its threads `mediapipe/...`, FFmpeg's frame threads are `av:...`, and the
thread that decodes and converts frames for the pose model names itself `gyml-frames`. Linux only;
elsewhere the figures are empty.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass, field

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
FRAMES_THREAD = "gyml-frames"
GROUPS = ("model", "decoder", "frames", "main", "other")


def name_this_thread(name: str) -> None:
    """Give the calling thread a name the kernel reports (15 bytes at most); no-op where unsupported."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME


def thread_times() -> dict[int, tuple[str, float]]:
    """Thread id -> (kernel name, user + system seconds) of every live thread of this process."""
    times = {}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return times
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue  # the thread ended meanwhile
        name = stat[stat.index("(") + 1: stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        times[int(tid)] = (name, (int(fields[11]) + int(fields[12])) / _TICK)
    return times


def group_of(name: str, tid: int, main_tid: int) -> str:
    """model: MediaPipe's graph; decoder: FFmpeg's threads; frames: our decode and colour conversion
    thread; main: the thread that calls the model and stores its answers (the one that made the meter);
    other: idle pools and the rest."""
    if name.startswith("mediapipe"):
        return "model"
    if name.startswith("av:"):
        return "decoder"
    if name == FRAMES_THREAD:
        return "frames"
    return "main" if tid == main_tid else "other"


@dataclass
class ThreadUsage:
    """Processor time and thread counts by group, since `start` (threads alive then count from there)."""

    seconds: dict[str, float] = field(default_factory=dict)
    threads: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


class ThreadMeter:
    """Samples every thread's processor time: at `sample()` calls, and every `interval` seconds from a
    background thread when one is given (threads that end between samples keep their last reading)."""

    def __init__(self, interval: float | None = None):
        self.main_tid = threading.get_native_id()  # the thread that reads the video (a Dask worker's is not its main)
        self.baseline = {tid: t for tid, (_, t) in thread_times().items()}
        self.last: dict[int, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sampler = None
        if interval:
            self._sampler = threading.Thread(target=self._run, args=(interval,), daemon=True)
            self._sampler.start()

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.sample()

    def sample(self) -> None:
        now = thread_times()
        with self._lock:
            self.last.update(now)

    def usage(self) -> ThreadUsage:
        self.sample()
        usage = ThreadUsage({g: 0.0 for g in GROUPS}, {g: 0 for g in GROUPS})
        sampler = self._sampler.native_id if self._sampler is not None else None
        with self._lock:
            for tid, (name, seconds) in self.last.items():
                if tid == sampler:
                    continue
                group = group_of(name, tid, self.main_tid)
                usage.seconds[group] += max(0.0, seconds - self.baseline.get(tid, 0.0))
                usage.threads[group] += 1
        return usage

    def close(self) -> ThreadUsage:
        usage = self.usage()
        self._stop.set()
        if self._sampler is not None:
            self._sampler.join()
        return usage


def process_seconds() -> float:
    """User + system processor time of this whole process so far (start-up and imports included)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

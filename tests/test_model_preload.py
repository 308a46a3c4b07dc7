"""The model loads in the background while a video's poses are read (gyml.classify.default.preload_model):
one load per file whoever asks first, and a failure left to the analysis's own load."""

from __future__ import annotations

import threading
import time

import pytest

from gyml.classify import default
from gyml.errors import GymlError


def test_a_preload_and_the_analysis_share_one_load(monkeypatch):
    calls, started = [], threading.Event()

    def slow_load(path):
        calls.append(str(path))
        started.set()
        time.sleep(0.3)   # the analysis asks while the preload is still reading the file
        return object()

    monkeypatch.setattr(default.ExerciseModel, "load", staticmethod(slow_load))
    path = "/nonexistent/preload-shared.gyml"
    thread = default.preload_model(path)
    assert started.wait(5)
    model = default.load_model(path)   # waits for the preload instead of reading the file again
    thread.join(5)
    assert calls == [path]
    assert default.load_model(path) is model


def test_a_failed_preload_is_reported_by_the_analysis(monkeypatch):
    calls = []

    def broken(path):
        calls.append(str(path))
        raise GymlError(f"{path}: not a gyml model file")

    monkeypatch.setattr(default.ExerciseModel, "load", staticmethod(broken))
    path = "/nonexistent/preload-broken.gyml"
    default.preload_model(path).join(5)   # the thread swallows it: no traceback on the console
    with pytest.raises(GymlError, match="not a gyml model file"):
        default.load_model(path)
    assert len(calls) == 2   # a failure is not remembered: the analysis tries again and says why

from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs ../shared/data/{'/'.join(parts)} (the shared real data is not beside this checkout)")
    return path


@pytest.fixture(autouse=True)
def _isolated_gold_library(tmp_path, monkeypatch):
    monkeypatch.setenv("GYML_HOME", str(tmp_path / "gyml_home"))


def reps_cut_at_the_top(seq):
    """A synthesised set's reps as a counter that took the turning point for the start cuts them: each from
    one rep's top to the next, the rest between them in the middle."""
    from gyml.reps.counter import RepCount, RepSegment

    truth = seq.metadata["segments"]
    tops = [s["mid"] for s in truth]
    segments = [RepSegment(k + 1, tops[k], truth[k]["end"], tops[k + 1]) for k in range(len(tops) - 1)]
    return RepCount(len(segments), "gyml", segments, np.zeros(len(seq)))

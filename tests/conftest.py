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


WEB_LOCAL = "http://127.0.0.1:8000"   # a server on this machine answers its own host names only


@pytest.fixture
def web_settings(tmp_path):
    """A web app's settings over a fresh data folder (uploads up to 5 MB, one worker)."""
    from gyml.web.settings import WebSettings

    return WebSettings.build(data_dir=tmp_path / "serve", max_upload_mb=5.0, workers=1)


@pytest.fixture
def web_client(web_settings):
    """A test client of the web app on `web_settings`, its jobs left queued (run them with run_job)."""
    from fastapi.testclient import TestClient

    from gyml.web.app import create_app

    with TestClient(create_app(web_settings, start_workers=False), base_url=WEB_LOCAL) as c:
        yield c


@pytest.fixture(scope="session")
def small_catalog_background(tmp_path_factory):
    """A catalog background file (gyml/classify/personal.py) synthesised once per test process from one set
    per catalog exercise instead of gyml's four (on RepCount dev the matcher's recall and false accepts move
    by under 0.05 between the two). Copy it into a data folder with `place_catalog_background`: without
    it, each test that learns an exercise of its own synthesised the background again (a minute at four)."""
    from gyml.classify import personal

    shipped = personal.BACKGROUND_SETS
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(personal, "BACKGROUND_SETS", 1)
        mp.setenv("GYML_HOME", str(tmp_path_factory.mktemp("background_home")))
        personal.catalog_background()
        path = personal.background_path()
    assert personal.BACKGROUND_SETS == shipped
    return path


def place_catalog_background(background: Path, home: Path | None = None) -> Path:
    """`background` copied to where gyml looks for it in data folder `home` (default: $GYML_HOME's)."""
    import shutil

    from gyml.classify import personal

    target = personal.background_path(home / "exercises" if home is not None else None)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(background, target)
    return target

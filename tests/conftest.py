from pathlib import Path

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

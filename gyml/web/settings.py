"""What `gyml serve` is configured with: one record, filled from the command line and the environment."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from gyml.errors import GymlError
from gyml.paths import data_home

DEFAULT_MAX_UPLOAD_MB = 500.0


def default_data_dir() -> Path:
    """$GYML_DATA, else serve/ in the user's data folder (gyml.paths.data_home)."""
    explicit = os.environ.get("GYML_DATA")
    if explicit:
        return Path(explicit)
    return data_home() / "serve"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class WebSettings:
    data_dir: Path
    database_url: str
    token: str | None = None
    max_upload_bytes: int = int(DEFAULT_MAX_UPLOAD_MB * 1e6)
    workers: int = 1
    host: str = "127.0.0.1"
    poll_s: float = 0.5          # how often an idle worker looks for a queued job

    @classmethod
    def build(cls, data_dir: Path | None = None, database_url: str | None = None, token: str | None = None,
              max_upload_mb: float | None = None, workers: int | None = None, host: str = "127.0.0.1"
              ) -> WebSettings:
        data_dir = Path(data_dir) if data_dir else default_data_dir()
        token = token or os.environ.get("GYML_TOKEN") or None
        if max_upload_mb is None:
            max_upload_mb = float(os.environ.get("GYML_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB))
        if max_upload_mb <= 0:
            raise GymlError("the upload size limit must be a positive number of MB")
        if not is_loopback(host) and not token:
            raise GymlError(f"serving on {host} (not this machine only) needs an access token: "
                            "give --token or set GYML_TOKEN")
        if workers is None:
            workers = max(1, (os.cpu_count() or 2) // 2)
        if workers < 1:
            raise GymlError("--workers must be at least 1")
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            for sub in ("uploads", "results"):
                (data_dir / sub).mkdir(exist_ok=True)
        except OSError as exc:
            raise GymlError(f"cannot use {data_dir} as the data folder: {exc.strerror or exc}") from None
        url = database_url or f"sqlite:///{(data_dir / 'gyml.db').resolve()}"
        return cls(data_dir=data_dir.resolve(), database_url=url, token=token,
                   max_upload_bytes=int(max_upload_mb * 1e6), workers=workers, host=host)

    @property
    def uploads(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def results(self) -> Path:
        return self.data_dir / "results"

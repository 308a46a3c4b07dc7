"""Where gyml keeps a person's own data (gold references, their exercises, the web app's analyses)."""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    """$GYML_HOME, else $XDG_DATA_HOME/gyml (~/.local/share/gyml): never inside the package."""
    explicit = os.environ.get("GYML_HOME")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")) / "gyml"

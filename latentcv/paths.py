"""Where latentcv keeps files of its own between runs."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """Folder under which latentcv caches what it builds and preprocesses (``$XDG_CACHE_HOME/latentcv``,
    ``~/.cache/latentcv`` by default): the PLUMED build, preprocessed frames."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "latentcv"

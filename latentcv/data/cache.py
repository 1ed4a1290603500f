"""On-disk cache of preprocessed frames, keyed by the input files and the options."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from latentcv.atomic import atomic_file
from latentcv.paths import cache_root

CACHE_VERSION = 2
"""Bumped whenever the cached content or its preprocessing changes."""


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/latentcv/frames`` (``~/.cache/latentcv/frames`` by default)."""
    return cache_root() / "frames"


def cache_key(files: Sequence[Path], options: dict[str, Any]) -> str:
    """Hex SHA-256 of the files' absolute paths, sizes and modification times and the options.

    Parameters
    ----------
    files : sequence of Path
        Every input file (trajectories, topology, System XML); each must exist.
    options : dict
        JSON-serializable options that change the preprocessed result.
    """
    described = []
    for path in files:
        stat = path.stat()
        described.append([str(path.resolve()), stat.st_size, stat.st_mtime_ns])
    text = json.dumps(
        {"version": CACHE_VERSION, "files": described, "options": options}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()


def load_cached(cache_dir: Path, key: str) -> dict[str, Any] | None:
    """The cached content for ``key``, or None when absent or unreadable."""
    path = cache_dir / f"{key}.pt"
    if not path.is_file():
        return None
    try:
        return torch.load(path, weights_only=True)
    except Exception:  # a damaged cache entry is recomputed, never trusted
        return None


def save_cached(cache_dir: Path, key: str, content: dict[str, Any]) -> Path:
    """Write ``content`` (tensors, strings, lists) atomically: temporary file, then rename.

    Returns
    -------
    Path
        The cache file.
    """
    path = cache_dir / f"{key}.pt"
    with atomic_file(path) as temporary:
        torch.save(content, temporary)
    return path

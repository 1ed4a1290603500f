"""Atomic file writes: a file is either its old complete self or its new complete self, never a
partial one (checkpoints, states, exported CVs, results), so an interrupted run loses no work."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` (``os.replace``) when the
    block ends normally, removed when it raises.

    Parameters
    ----------
    path : path
        The file to write.
    suffix : str
        Extension the temporary file must end with (``.npy`` for ``np.save``, ``.npz`` for
        ``np.savez``, which would otherwise append one).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp" + suffix, dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_file(path) as temporary:
        temporary.write_text(text)
    return Path(path)

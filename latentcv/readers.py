"""Reading the files latentcv is given: a file that cannot be read or parsed is one line, not a traceback.

Every reader of a file a user hands over (trained models, CV heads, settings, exported CV folders,
OpenMM XML, checkpoints, PMF estimates) parses it inside :func:`reading`, which turns whatever the
parser raises for a truncated, garbled or foreign file into one :class:`~latentcv.errors.InputError`
that names the file and what it should have been. The command line prints that line and exits
with status 2.

A parser does not see every damage: ``torch.load`` reads tensor bytes that were overwritten
without complaint. The files latentcv writes therefore carry SHA-256 digests of what they hold
(:func:`content_digest` for models and checkpoints, :func:`file_digest` of each exported TorchScript
file in the CV's metadata), and their readers compare them (:func:`check_digest`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from latentcv.errors import LatentCVError, InputError

#: Characters of a parser's own message kept in the one-line error.
REASON_CHARS = 160


def reason(err: BaseException) -> str:
    """The first line of an exception's message (at most :data:`REASON_CHARS` characters), or its
    type's name when the message is empty."""
    lines = str(err).strip().splitlines()
    text = lines[0].strip() if lines else ""
    if not text:
        return type(err).__name__
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 3] + "..."


@contextlib.contextmanager
def reading(path: str | os.PathLike[str], what: str) -> Iterator[None]:
    """Run the block that reads and parses ``path``; any failure becomes one :class:`InputError`.

    Parameters
    ----------
    path : path
        The file being read (named in the message).
    what : str
        What the file should be, e.g. ``"latentcv model"`` (named in the message before the path).

    Raises
    ------
    InputError
        ``cannot read WHAT PATH: it does not parse (truncated or corrupt?): REASON``. latentcv's
        own errors and MemoryError pass through unchanged.
    """
    try:
        yield
    except (LatentCVError, MemoryError):
        raise
    except Exception as err:  # every parser raises its own types for a broken file
        raise InputError(
            f"cannot read {what} {path}: it does not parse (truncated or corrupt?): {reason(err)}"
        ) from err


def read_json(path: str | os.PathLike[str], what: str) -> Any:
    """The value stored in the JSON file ``path`` (a ``what``), read through :func:`reading`."""
    with reading(path, what):
        return json.loads(Path(path).read_text())


def read_json_object(path: str | os.PathLike[str], what: str) -> dict[str, Any]:
    """Like :func:`read_json`, for files that must hold a JSON object."""
    value = read_json(path, what)
    if not isinstance(value, dict):
        raise InputError(f"cannot read {what} {path}: it holds a JSON {type(value).__name__}, not an object")
    return value


def read_openmm_xml(path: str | os.PathLike[str], kind: str) -> Any:
    """An OpenMM object serialised as XML: ``kind`` is ``"System"``, ``"State"`` or ``"Integrator"``.

    Raises
    ------
    InputError
        When the file is missing, does not deserialise, or holds another kind of object.
    """
    import openmm  # not at module level: this module is the base layer, below the engines

    target = Path(path)
    if not target.is_file():
        raise InputError(f"OpenMM {kind} XML not found: {target}")
    with reading(target, f"OpenMM {kind} XML"):
        value = openmm.XmlSerializer.deserialize(target.read_text())
    if not isinstance(value, getattr(openmm, kind)):
        raise InputError(f"{target} holds an OpenMM {type(value).__name__}, not a {kind}")
    return value


def content_digest(value: Any) -> str:
    """SHA-256 (hex) of nested dicts, lists and tuples of tensors, strings and numbers: dict keys in
    sorted order, each tensor by dtype, shape and bytes. Equal contents give equal digests,
    whatever the file they were read from."""
    digest = hashlib.sha256()
    _feed(digest, value)
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    if isinstance(value, torch.Tensor):
        tensor = value.detach().cpu().contiguous()
        digest.update(f"T{tensor.dtype}{tuple(tensor.shape)}".encode())
        if tensor.numel():  # an empty tensor has no bytes (and cannot be viewed as them)
            digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    elif isinstance(value, dict):
        digest.update(b"{")
        for key in sorted(value, key=str):
            _feed(digest, key)
            _feed(digest, value[key])
        digest.update(b"}")
    elif isinstance(value, (list, tuple)):
        digest.update(b"[")
        for item in value:
            _feed(digest, item)
        digest.update(b"]")
    else:
        digest.update(f"{type(value).__name__}:{value!r};".encode())


def file_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 (hex) of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_digest(path: str | os.PathLike[str], what: str, expected: str, actual: str) -> None:
    """Raise :class:`InputError` when a file's recorded digest differs from that of what was read."""
    if expected != actual:
        raise InputError(f"cannot read {what} {path}: its content differs from the SHA-256 recorded when it was "
                         "written (truncated or corrupt?)")

"""Trajectory arguments of the form ``path`` or ``path:label`` (e.g. ``melt.dcd:melt``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from latentcv.errors import InputError

LABEL_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")
"""A label: letters, digits, ``_ . + -``, not starting with a punctuation mark."""


@dataclass(frozen=True)
class TrajectorySpec:
    """One trajectory file and its optional state label.

    Attributes
    ----------
    path : Path
        The trajectory file.
    label : str or None
        State label of every frame in the file (e.g. ``"crystal"``), or None.
    """

    path: Path
    label: str | None = None


def parse_spec(text: str) -> TrajectorySpec:
    """Split ``path[:label]`` into a :class:`TrajectorySpec`.

    An existing file whose name contains ``:`` is taken whole. Otherwise the text after the last
    ``:`` is the label when it contains no ``/``; text after a ``:`` that contains ``/`` belongs to
    the path (a folder name with a colon). The file's existence is checked when it is read.

    Parameters
    ----------
    text : str
        E.g. ``"melt.dcd"`` or ``"runs/melt.dcd:melt"``.

    Returns
    -------
    TrajectorySpec

    Raises
    ------
    InputError
        When the label is empty or has characters outside ``LABEL_PATTERN``.
    """
    if Path(text).is_file() or ":" not in text:
        return TrajectorySpec(Path(text))
    path, label = text.rsplit(":", 1)
    if "/" in label:
        return TrajectorySpec(Path(text))
    if not path or not LABEL_PATTERN.fullmatch(label):
        raise InputError(
            f"cannot parse trajectory argument {text!r}: expected FILE or FILE:LABEL with a label "
            "of letters, digits and _ . + -"
        )
    return TrajectorySpec(Path(path), label)

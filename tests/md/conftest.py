"""Fixtures of the metadynamics tests."""

from __future__ import annotations

import pytest

from tests.md.metad_setup import IceRun, make_ice_run


@pytest.fixture(scope="session")
def ice_run(tmp_path_factory) -> IceRun:
    """Ice system, minimised state and untrained CV, made once per session (a few seconds)."""
    return make_ice_run(tmp_path_factory.mktemp("ice-run"))

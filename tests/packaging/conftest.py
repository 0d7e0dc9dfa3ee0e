"""Fixtures for the role install tests: uv, and venvs built offline from the lock."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .roles import role_venv


@pytest.fixture(scope="session")
def uv() -> str:
    """The uv executable: ``$UV`` (set by ``uv run``), else the one on PATH."""
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        pytest.skip("uv not found: run the tests with 'uv run pytest' or put uv on PATH")
    return found


@pytest.fixture(scope="session")
def station_bin(uv: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin/`` of a station PC's venv: ``benchtrail-agents`` alone."""
    return role_venv(uv, tmp_path_factory.mktemp("station") / "venv", "benchtrail-agents")


@pytest.fixture(scope="session")
def analyst_bin(uv: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin/`` of an analyst's venv: ``benchtrail-api`` without extras."""
    return role_venv(uv, tmp_path_factory.mktemp("analyst") / "venv", "benchtrail-api")

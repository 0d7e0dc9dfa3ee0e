"""Fixtures for measurement workflows: a project directory with the example station file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding ``examples/benchtrail.yaml`` (station cell-7, simulated)."""
    shutil.copy(EXAMPLES / "benchtrail.yaml", tmp_path / "benchtrail.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("BENCHTRAIL_STATION", raising=False)
    monkeypatch.delenv("BENCHTRAIL_HUB", raising=False)
    return tmp_path

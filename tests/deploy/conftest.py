"""Fixtures of the deployment tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from .rendering import Deployment, render_deployment


@pytest.fixture
def deployment(tmp_path: Path) -> Deployment:
    """``deploy/nats/`` with certificates, nkeys and ports of this test (see rendering.py)."""
    return render_deployment(tmp_path)

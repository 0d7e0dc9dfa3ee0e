"""``benchtrail up`` in a project whose ``benchtrail.yaml`` sets the hub's retention."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ..hubprocess import hub_process

pytestmark = pytest.mark.slow


def test_up_applies_the_retention_of_the_project_file(tmp_path: Path):
    (tmp_path / "benchtrail.yaml").write_text("hub:\n  retention:\n    days: 30\n")
    env = {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": None}
    with hub_process(tmp_path / "bt", env=env, cwd=tmp_path) as hub:
        assert "Retention: data older than 30d is pruned hourly." in hub.banner
        health = httpx.get(f"{hub.api_url}/api/health").json()
        assert health["retention"]["older_than"] == "30d"
        assert health["retention"]["interval_s"] == 3600.0
    assert hub.returncode == 0, hub.output

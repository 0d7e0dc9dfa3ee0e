"""The configured retention: from the configuration files to a hub that prunes by itself."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from click.testing import CliRunner

from benchtrail.agents.config import RetentionPolicy, load_hub_config
from benchtrail.api.hub.embedded import Hub
from benchtrail.cli import main

from .history import RecordedSession, days_ago, publish, session_rows, stream_first_seq


def test_the_hub_prunes_by_its_configured_retention(hub_keeping_90_days: Hub):
    hub = hub_keeping_90_days
    assert hub.warehouse is not None
    old, recent = RecordedSession("cell-1", days_ago(150)), RecordedSession("cell-1", days_ago(1))
    publish(hub.nats.url, [old, recent])
    hub.wait_ingested()
    recent_rows = session_rows(hub.warehouse, recent)

    # a prune that started after everything was written has removed the old session
    last = hub.retention.wait_for_prunes(hub.retention.prunes + 2, timeout=30)
    assert last.policy == "configured" and last.older_than == "90d"
    assert set(session_rows(hub.warehouse, old).values()) == {0}
    assert session_rows(hub.warehouse, recent) == recent_rows
    assert stream_first_seq(hub.nats.url) == recent.stream_seq

    health = httpx.get(f"{hub.api_url}/api/health").json()
    assert health["retention"]["older_than"] == "90d"

    args = ["data", "prune", "--dry-run", "--api", hub.api_url]
    report = json.loads(CliRunner().invoke(main, [*args, "--json"]).output)
    assert (report["policy"], report["older_than"], report["rows"]) == ("configured", "90d", 0)
    shown = CliRunner(env={"COLUMNS": "200"}).invoke(main, args).output
    assert "would remove data older than 90d (the hub's retention)" in shown


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_retention_is_read_from_the_hub_block_of_the_files(tmp_path: Path):
    home, project = tmp_path / "home", tmp_path / "project"
    _write(home / ".config/benchtrail/config.yaml", "hub:\n  retention:\n    days: 365\n")
    _write(project / "benchtrail.yaml", "stations:\n  cell-7: {}\nhub:\n  retention: {days: 90}\n")

    hub, sources = load_hub_config(cwd=project, home=home, environ={})
    assert hub.retention == RetentionPolicy(days=90)
    assert sources["hub.retention.days"] == "benchtrail.yaml:4"

    user_only, _ = load_hub_config(cwd=tmp_path, home=home, environ={})
    assert user_only.retention == RetentionPolicy(days=365)
    nothing, _ = load_hub_config(cwd=tmp_path, home=tmp_path, environ={})
    assert nothing.retention is None  # the default keeps everything


def test_config_check_names_a_bad_retention(tmp_path: Path, monkeypatch):
    _write(tmp_path / "benchtrail.yaml", "hub:\n  retention: {days: 0}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    result = CliRunner().invoke(main, ["config", "check"])
    assert result.exit_code == 1
    assert "benchtrail.yaml: hub.retention.days: expected a whole number of days >= 1" in (
        result.output
    )

"""``benchtrail station add|list|revoke`` on a hub's data directory, and ``up``'s safe defaults."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from benchtrail.agents import connect
from benchtrail.agents.errors import CredentialsRefused
from benchtrail.api.hub.access import token_store
from benchtrail.api.hub.embedded import Hub
from benchtrail.cli import main

from ..hubprocess import hub_process


def station(*arguments: str) -> list[str]:
    """Run ``benchtrail station …``; its output lines (it must succeed)."""
    result = CliRunner().invoke(main, ["station", *arguments])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()


def test_add_writes_private_credentials_a_running_hub_accepts_and_revoke_cuts_off(
    auth_hub: Hub, tmp_path: Path
):
    data_dir = str(auth_hub.data_dir)
    out = tmp_path / "secrets" / "cell-7.nk"
    lines = station("add", "cell-7", "--data-dir", data_dir, "--out", str(out))
    assert lines[-1] == str(out.resolve()), "the credentials path is the last line"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert any("may connect now" in line for line in lines), lines

    url = auth_hub.nats.url
    with connect("cell-7", hub=url, credentials=str(out)) as recorder:
        recorder.log("recorded with the new credentials")
    listed = "\n".join(station("list", "--data-dir", data_dir))
    assert re.search(r"cell-7\s+│\s+active", listed), listed

    lines = station("revoke", "cell-7", "--data-dir", data_dir)
    assert any("connections are closed" in line for line in lines), lines
    assert re.search(r"cell-7\s+│\s+revoked", "\n".join(station("list", "--data-dir", data_dir)))
    with pytest.raises(CredentialsRefused), connect("cell-7", hub=url, credentials=str(out)):
        pass


def test_an_admin_elsewhere_adds_lists_and_revokes_stations_through_the_api(
    auth_hub: Hub, tmp_path: Path
):
    admin = token_store(auth_hub.data_dir).create("root", "admin").token
    operator = token_store(auth_hub.data_dir).create("op", "operator").token
    remote = ["--api", auth_hub.api_url]
    out = tmp_path / "cell-9.nk"
    lines = station("add", "cell-9", *remote, "--token", admin, "--out", str(out))
    assert lines[-1] == str(out.resolve()) and stat.S_IMODE(out.stat().st_mode) == 0o600
    with connect("cell-9", hub=auth_hub.nats.url, credentials=str(out)) as recorder:
        recorder.log("registered from another machine")
    listed = "\n".join(station("list", *remote, "--token", admin))
    assert re.search(r"cell-9\s+│\s+active", listed), listed
    refused = CliRunner().invoke(main, ["station", "add", "cell-10", *remote, "--token", operator])
    assert refused.exit_code == 1 and "'admin'" in refused.output, refused.output
    taken = CliRunner().invoke(main, ["station", "add", "cell-9", *remote, "--token", admin])
    assert taken.exit_code == 1 and "already registered" in taken.output, taken.output
    station("revoke", "cell-9", *remote, "--token", admin)
    with (
        pytest.raises(CredentialsRefused),
        connect("cell-9", hub=auth_hub.nats.url, credentials=str(out)),
    ):
        pass


def test_add_refuses_a_registered_station_and_the_hubs_own_names(tmp_path: Path):
    runner = CliRunner()
    data_dir = str(tmp_path / "hub")
    assert station("add", "cell-7", "--data-dir", data_dir)[-1].endswith("credentials/cell-7.nk")
    again = runner.invoke(main, ["station", "add", "cell-7", "--data-dir", data_dir])
    assert again.exit_code == 1 and "already registered" in again.output
    reserved = runner.invoke(main, ["station", "add", "hub", "--data-dir", data_dir])
    assert reserved.exit_code == 1 and "hub's own identities" in reserved.output


@pytest.mark.parametrize("option", ["--http-host", "--nats-host"])
def test_up_refuses_a_network_address_without_auth_and_says_how(option: str, tmp_path: Path):
    result = CliRunner().invoke(main, ["up", option, "0.0.0.0", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{option} 0.0.0.0" in result.output
    assert "benchtrail up --auth" in result.output
    assert "benchtrail station add" in result.output
    assert "benchtrail token create" in result.output
    assert not (tmp_path / "jetstream").exists(), "nothing was started"


def test_up_with_auth_and_demo_records(tmp_path: Path):
    env = {**os.environ, "COLUMNS": "200"}
    demo = ("--demo", "--demo-stations", "2")
    with hub_process(tmp_path / "hub", *demo, auth=True, stop_signal=signal.SIGINT) as hub:
        assert "Auth is on" in hub.banner
        api = hub.api_url
        assert httpx.get(f"{api}/api/runs").status_code == 401, "no token, no data"
        create = [sys.executable, "-m", "benchtrail.api", "token", "create", "--role", "viewer"]
        create += ["--name", "wall", "--data-dir", str(tmp_path / "hub")]
        made = subprocess.run(create, capture_output=True, text=True, check=True, env=env)
        headers = {"Authorization": f"Bearer {made.stdout.strip().splitlines()[-1]}"}
        deadline = time.monotonic() + 60
        runs: list[dict[str, object]] = []
        while time.monotonic() < deadline and not runs:
            items = httpx.get(f"{api}/api/runs", headers=headers).json()["items"]
            runs = [r for r in items if r["outcome"] is not None]
            time.sleep(0.2)  # the demo stations record on their own clock
        assert {r["station_id"] for r in runs} <= {"demo-1", "demo-2"} and runs, hub.banner
    assert hub.returncode == 0, hub.output
    assert "stopped:" not in hub.after_banner, hub.after_banner

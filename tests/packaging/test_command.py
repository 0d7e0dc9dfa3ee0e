"""The one ``benchtrail`` command of the dev install: every distribution's subcommands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from benchtrail.cli import main

from .roles import commands_in_help

EVERY_COMMAND = (
    *("outbox", "config"),
    *("stations", "sessions", "session", "events", "runs", "run", "logs", "dut", "locks"),
    *("data", "dead-letters", "export", "health", "mcp", "replay", "token", "up", "station"),
)


def test_help_lists_station_and_api_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    assert commands_in_help(result.output) == set(EVERY_COMMAND)
    assert "needs benchtrail-api" not in result.output


def test_hub_command_help_loads_it() -> None:
    result = CliRunner().invoke(main, ["up", "--help"])
    assert result.exit_code == 0, result.output
    assert "Start nats-server, the projector and the API" in result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("benchtrail, version ")


def test_help_imports_no_command(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from benchtrail.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ['benchtrail.api.cli_read', 'benchtrail.agents.cli.outbox', 'litestar', 'chdb']\n"
        "print(*[m for m in heavy if m in sys.modules], file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stderr.strip() == ""


def test_two_distributions_with_one_name_is_a_clear_error(tmp_path: Path) -> None:
    other = tmp_path / "other_tool-1.0.dist-info"
    other.mkdir()
    (other / "METADATA").write_text("Metadata-Version: 2.1\nName: other-tool\nVersion: 1.0\n")
    (other / "entry_points.txt").write_text(
        "[benchtrail.commands]\nsessions = benchtrail.api.cli:sessions\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    command = [sys.executable, "-m", "benchtrail.cli"]
    done = subprocess.run(
        [*command, "sessions"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 1
    assert "'benchtrail sessions' is registered by" in done.stderr
    assert "benchtrail-api" in done.stderr and "other-tool" in done.stderr
    listed = subprocess.run(
        [*command, "--help"], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    assert "a conflict" in listed.stdout

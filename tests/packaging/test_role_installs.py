"""Installed alone (offline, from the lock), each role gets its ``benchtrail`` command."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .roles import commands_in_help

API_COMMANDS = ("stations", "sessions", "runs", "export", "locks", "health", "dead-letters")
STATION_COMMANDS = ("outbox", "config")
HUB_MODULES = ("chdb", "clickhouse_connect", "litestar", "uvicorn", "mcp")


def run(bin_dir: Path, program: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a program of the venv."""
    return subprocess.run(
        [str(bin_dir / program), *args], capture_output=True, text=True, timeout=120, check=False
    )


def listed_commands(bin_dir: Path) -> set[str]:
    """The subcommands ``benchtrail --help`` lists."""
    done = run(bin_dir, "benchtrail", "--help")
    assert done.returncode == 0, done.stderr
    return commands_in_help(done.stdout)


def missing_modules(bin_dir: Path, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` the venv cannot import."""
    check = f"import importlib.util as u; print(*[m for m in {modules} if u.find_spec(m) is None])"
    done = run(bin_dir, "python", "-c", check)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_station_pc_gets_the_station_commands(station_bin: Path, tmp_path: Path) -> None:
    commands = listed_commands(station_bin)
    assert set(STATION_COMMANDS) <= commands
    assert not commands & {*API_COMMANDS, "up"}
    done = run(station_bin, "benchtrail", "outbox", "status", "--dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "nothing waiting for the hub" in done.stdout


def test_station_pc_records_without_the_hub_stack(station_bin: Path) -> None:
    done = run(station_bin, "python", "-c", "from benchtrail.agents import Station, connect")
    assert done.returncode == 0, done.stderr
    assert missing_modules(station_bin, ("benchtrail.agents.pytest_plugin",)) == []
    assert missing_modules(station_bin, (*HUB_MODULES, "benchtrail.api")) == [
        *HUB_MODULES,
        "benchtrail.api",
    ]


def test_analyst_gets_the_read_commands_and_the_client(analyst_bin: Path) -> None:
    commands = listed_commands(analyst_bin)
    assert {*API_COMMANDS, "up"} <= commands
    assert not commands & set(STATION_COMMANDS)
    done = run(analyst_bin, "python", "-c", "from benchtrail.api import EventStore, Records")
    assert done.returncode == 0, done.stderr
    modules = (*HUB_MODULES, "pyvisa", "benchtrail.agents", "benchtrail.projector")
    assert missing_modules(analyst_bin, modules) == list(modules)


def test_hub_command_without_the_hub_extra_says_what_to_install(analyst_bin: Path) -> None:
    for command, extra in (("up", "hub"), ("replay", "hub"), ("mcp", "mcp")):
        done = run(analyst_bin, "benchtrail", command)
        assert done.returncode == 1
        assert f'pip install "benchtrail-api[{extra}]"' in done.stderr
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1

"""The ``benchtrail`` read commands against the live API (click's CliRunner)."""

from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner

from benchtrail.cli import main

from .seed import PAGED_STATION, Seed


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "160"})


def test_runs_table_shows_the_dut_serial(runner: CliRunner, api_url: str) -> None:
    result = runner.invoke(main, ["runs", "--dut", "SN123", "--api", api_url])
    assert result.exit_code == 0, result.output
    assert "SN123" in result.output
    assert "failed" in result.output
    assert "SN124" not in result.output


def test_runs_filters_by_lot_phase_operator_and_commit(runner: CliRunner, api_url: str) -> None:
    args = ["runs", "--lot", "L42", "--phase", "final", "--operator", "op-1", "--commit", "abc1"]
    result = runner.invoke(main, [*args, "--json", "--api", api_url])
    assert result.exit_code == 0, result.output
    assert [run["run_id"] for run in json.loads(result.output)] == ["run-a1"]
    other = runner.invoke(main, ["runs", "--lot", "L42", "--operator", "op-2", "--api", api_url])
    assert "SN123" not in other.output


def test_sessions_filter_by_project(runner: CliRunner, seeded: Seed, api_url: str) -> None:
    args = ["sessions", "--project", "widget-eol", "--json", "--api", api_url]
    result = runner.invoke(main, args)
    assert [s["session_id"] for s in json.loads(result.output)] == [seeded.main_session.session_id]


def test_api_url_comes_from_the_environment(runner: CliRunner, api_url: str) -> None:
    result = runner.invoke(main, ["runs", "--outcome", "running"], env={"BENCHTRAIL_API": api_url})
    assert result.exit_code == 0, result.output
    assert "SN200" in result.output


def test_sessions_json_parses(runner: CliRunner, api_url: str) -> None:
    args = ["sessions", "--station", PAGED_STATION, "--limit", "7", "--json", "--api", api_url]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    sessions = json.loads(result.output)
    assert len(sessions) == 7
    assert {s["station_id"] for s in sessions} == {PAGED_STATION}


def test_session_shows_metadata_and_runs(seeded: Seed, runner: CliRunner, api_url: str) -> None:
    session_id = seeded.main_session.session_id
    result = runner.invoke(main, ["session", session_id, "--api", api_url])
    assert result.exit_code == 0, result.output
    for text in (session_id, "Ada Lovelace", "Cell 7", "SN123", "SN124", "finished"):
        assert text in result.output


def test_run_shows_steps_and_measurements(runner: CliRunner, api_url: str) -> None:
    result = runner.invoke(main, ["run", "run-a1", "--api", api_url])
    assert result.exit_code == 0, result.output
    for text in ("SN123", "power", "vout", "3.31", "ripple", "temp_c=25.5"):
        assert text in result.output
    as_json = json.loads(runner.invoke(main, ["run", "run-a1", "--json", "--api", api_url]).output)
    assert as_json["dut_serial"] == "SN123"
    assert len(as_json["measurements"]) == 5


def test_events_filtered_by_type(seeded: Seed, runner: CliRunner, api_url: str) -> None:
    session_id = seeded.main_session.session_id
    args = ["events", "--session", session_id, "--type", "run.started", "--api", api_url]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "DUT SN123" in result.output
    assert "vout" not in result.output
    events = json.loads(runner.invoke(main, [*args, "--json"]).output)
    assert [e["type"] for e in events] == ["run.started", "run.started"]


def test_stations_lists_every_station(runner: CliRunner, api_url: str) -> None:
    result = runner.invoke(main, ["stations", "--api", api_url])
    assert result.exit_code == 0, result.output
    for station in ("cell-7", "cell-9", PAGED_STATION):
        assert station in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no-such-run"], "run 'no-such-run' not found"),
        (["session", "no-such-session"], "session 'no-such-session' not found"),
        (["events", "--session", "nope"], "session 'nope' not found"),
        (["sessions", "--since", "last tuesday"], "parameter 'since'"),
    ],
)
def test_errors_are_one_line_and_exit_non_zero(
    runner: CliRunner, api_url: str, args: list[str], message: str
) -> None:
    result = runner.invoke(main, [*args, "--api", api_url])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_unreachable_api_is_one_clear_line(runner: CliRunner) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = runner.invoke(main, ["sessions", "--api", url])
    assert result.exit_code == 1
    assert f"cannot reach the benchtrail API at {url!r}" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_help_lists_every_command(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in ("stations", "sessions", "session", "events", "runs", "run", "dut", "export", "up"):
        assert f"  {name} " in result.output


def test_piped_tables_keep_each_id_on_one_line(seeded: Seed, api_url: str) -> None:
    narrow = CliRunner(env={"COLUMNS": "80"})  # what rich assumes when output is piped
    result = narrow.invoke(main, ["sessions", "--api", api_url])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    session_id = seeded.main_session.session_id
    assert any(session_id in line for line in lines), result.output

"""Each list filter is declared once: the HTTP parameters, the client's keywords and the
CLI options all say the same, and every kind of match keeps the right rows."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, get_type_hints

import click
import httpx
import pytest
from click.testing import CliRunner

from benchtrail.api import EventStore
from benchtrail.api.cli.export import export
from benchtrail.api.cli.logs import logs
from benchtrail.api.cli.read import dut, events, runs, sessions, stations
from benchtrail.api.client.filters import EXPORT_FILTERS, QUERY_TYPES, TimeBound
from benchtrail.api.models.filters import FILTER_SETS, Filter, FilterSet
from benchtrail.cli import main

from .seed import T1, Seed

S = 10**9

ENDPOINTS = {
    "stations": ["/api/stations"],
    "sessions": ["/api/sessions", "/api/export/sessions"],
    "runs": ["/api/runs", "/api/export/runs"],
    "measurements": ["/api/measurements", "/api/export/measurements"],
    "events": ["/api/sessions/{session_id}/events"],
    "duts": ["/api/duts/{serial}"],
    "logs": ["/api/runs/{run_id}/logs"],
}
"""The endpoints answering each list."""

NOT_FILTERS = {"limit", "cursor", "format", "flat", "after_seq", "failed_limit"}
"""Query parameters of the list endpoints that are not filters."""

COMMANDS: dict[str, click.Command] = {
    "stations": stations,
    "sessions": sessions,
    "runs": runs,
    "events": events,
    "duts": dut,
    "logs": logs,
}
"""The read command of each list (measurements have only ``export``)."""

NOT_FILTER_OPTIONS = {"limit", "api_url", "as_json", "after_seq", "failed_limit", "token"}
"""Options of the read commands that are not filters (besides ``events --session``)."""


def differences(declared: FilterSet, where: str, found: Iterable[str]) -> list[str]:
    names, present = set(declared.names), set(found)
    missing = [f"{declared.list_name}: declared, not in {where}: {sorted(names - present)}"]
    extra = [f"{declared.list_name}: in {where}, not declared: {sorted(present - names)}"]
    return missing * bool(names - present) + extra * bool(present - names)


@pytest.fixture(scope="module")
def openapi(api_url: str) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{api_url}/schema/openapi.json").json()
    return document


@pytest.mark.parametrize("list_name", sorted(FILTER_SETS))
def test_declared_filters_are_the_parameters_keywords_and_options(
    list_name: str, openapi: dict[str, Any]
) -> None:
    declared = FILTER_SETS[list_name]
    problems: list[str] = []
    for path in ENDPOINTS[list_name]:
        parameters = openapi["paths"][path]["get"]["parameters"]
        query = {p["name"]: p for p in parameters if p["in"] == "query"}
        problems += differences(declared, f"GET {path}", set(query) - NOT_FILTERS)
        problems += [
            f"{list_name}: {path} documents {name} as {query[name].get('description')!r}"
            for name in set(declared.names) & set(query)
            if query[name].get("description") != declared[name].description
        ]
    hints = get_type_hints(QUERY_TYPES[list_name])
    problems += differences(declared, f"the client's {QUERY_TYPES[list_name].__name__}", hints)
    problems += [
        f"{list_name}: the client types {f.name} as {hints[f.name]}"
        for f in declared.filters
        if f.name in hints and hints[f.name] != (TimeBound | None if f.is_time else str | None)
    ]
    command = COMMANDS.get(list_name, export)
    options = {p.name: p for p in command.params if isinstance(p, click.Option) and p.name}
    if command is export:
        options = {n: o for n, o in options.items() if n in declared.names}
    if command is events:
        del options["session_id"]  # which session: not a filter
    if command is logs:
        del options["run_id"]  # which run: not a filter
    problems += differences(declared, f"`{command.name}`", set(options) - NOT_FILTER_OPTIONS)
    problems += [
        f"{list_name}: {f.name} is {options[f.name].opts} on the command line, not {f.option}"
        for f in declared.filters
        if f.name in options and f.option not in options[f.name].opts
    ]
    assert not problems, "\n".join(problems)


def test_export_takes_exactly_the_filters_of_its_lists() -> None:
    options = {p.name for p in export.params if isinstance(p, click.Option)}
    declared = {name for filters in EXPORT_FILTERS.values() for name in filters.names}
    assert options - {"path", "file_format", "api_url", "token"} == declared


def test_a_list_cannot_declare_a_name_or_a_flag_twice() -> None:
    with pytest.raises(ValueError, match="name declared twice"):
        FilterSet("x", (Filter("a", "A.", "a"), Filter("a", "A again.", "b", flag="--b")))
    with pytest.raises(ValueError, match="option declared twice"):
        FilterSet("x", (Filter("a", "A.", "a", flag="--x"), Filter("b", "B.", "b", flag="--x")))


def test_outcome_running_keeps_the_runs_without_an_end(history_store: EventStore) -> None:
    running = history_store.runs(dut_serial="SN-H1", outcome="running", limit=None)
    assert {r.run_id for r in running} == {"run-h5"}
    failed = history_store.runs(outcome="failed", limit=None)
    assert {r.run_id for r in failed} == {"run-h1", "run-h4"}


def test_filters_through_one_join_match_the_same_run(history_store: EventStore) -> None:
    points = history_store.measurements(dut_serial="SN-H1", test_phase="functional", limit=None)
    assert {p.run_id for p in points} == {"run-h4"}
    assert history_store.measurements(dut_serial="SN-H2", test_phase="functional") == []


def test_dut_history_keeps_the_runs_started_in_the_range(history_store: EventStore) -> None:
    history = history_store.dut("SN-H1", since=T1 + 150 * S, until=T1 + 10_000 * S)
    assert [r.run_id for r in history.runs] == ["run-h4", "run-h5"]
    assert [r.attempt for r in history.runs] == [1, 2]


def cli_json(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_new_options_filter_on_the_command_line(
    seeded: Seed, api_url: str, history_url: str
) -> None:
    runner = CliRunner()
    by_type = cli_json(runner, "stations", "--type", "ict", "--api", api_url)
    assert [s["station_id"] for s in by_type] == ["cell-7"]
    by_location = cli_json(runner, "stations", "--location", "Line 2", "--api", api_url)
    assert [s["station_id"] for s in by_location] == ["cell-7"]
    by_product = cli_json(runner, "runs", "--product-name", "Widget", "--api", api_url)
    assert [r["run_id"] for r in by_product] == ["run-a1"]
    session_id = seeded.main_session.session_id
    of_run = cli_json(
        runner, "events", "--session", session_id, "--run", "run-a2", "--api", api_url
    )
    assert [e["type"] for e in of_run] == ["run.started", "measurement", "run.ended"]
    since = str(T1 + 150 * S)
    history = cli_json(runner, "dut", "SN-H1", "--since", since, "--api", history_url)
    assert [r["run_id"] for r in history["runs"]] == ["run-h4", "run-h5"]


def test_a_bad_choice_on_the_command_line_names_the_option(api_url: str) -> None:
    result = CliRunner().invoke(main, ["sessions", "--type", "nope", "--api", api_url])
    assert result.exit_code == 2
    assert "--type" in result.output

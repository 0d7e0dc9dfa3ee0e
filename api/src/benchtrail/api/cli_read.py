"""Read commands of the ``benchtrail`` CLI: stations, sessions, events and runs.

Every command talks to the HTTP API through :class:`EventStore` (``--api``,
default ``$BENCHTRAIL_API`` or ``http://127.0.0.1:8000``), prints rich tables,
or JSON with ``--json``. API errors end the command with one line on stderr
and exit status 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import click
import msgspec
from rich.console import Console, RenderableType
from rich.table import Table

from benchtrail.api import formatting
from benchtrail.api.client import EventStore
from benchtrail.api.client_base import DEFAULT_URL
from benchtrail.api.errors import ApiError
from benchtrail.api.models import RUN_STATUSES, DutHistory, DutRun, FailedMeasurement
from benchtrail.schemas import EVENT_TAGS

F = TypeVar("F", bound=Callable[..., object])

_RELATIVE = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def relative_since(value: str | None) -> str | None:
    """``30m``, ``2h``, ``7d`` ago as an ISO time; anything else goes to the API as is."""
    if value is None:
        return None
    match = _RELATIVE.fullmatch(value.strip())
    if match is None:
        return value
    delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    return (datetime.now(UTC) - delta).isoformat()


def api_options(command: F) -> F:
    """Add ``--api`` and ``--json`` to a command."""
    command = click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print JSON (for scripts) instead of tables.",
    )(command)
    return click.option(
        "--api",
        "api_url",
        envvar="BENCHTRAIL_API",
        default=DEFAULT_URL,
        show_default=True,
        help="URL of the benchtrail API (env BENCHTRAIL_API).",
    )(command)


@contextmanager
def open_store(api_url: str) -> Iterator[EventStore]:
    """An EventStore whose errors become one-line click errors (exit status 1)."""
    try:
        with EventStore(api_url) as store:
            yield store
    except ApiError as e:
        raise click.ClickException(str(e)) from e


_store = open_store
_since = relative_since


def _show(as_json: bool, result: object, render: Callable[[], RenderableType]) -> None:
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(result), indent=2).decode())
    else:
        Console().print(render())


def _since_option(command: F) -> F:
    command = click.option(
        "--until", help="Started before this time (ISO-8601, UTC when naive, or ns)."
    )(command)
    return click.option(
        "--since", help="Started at or after: ISO-8601 (UTC when naive), ns, or 30m/2h/7d ago."
    )(command)


def _limit_option(command: F) -> F:
    return click.option(
        "--limit",
        default=50,
        show_default=True,
        type=click.IntRange(min=1),
        help="Most rows to show.",
    )(command)


@click.command("stations")
@api_options
def stations(api_url: str, as_json: bool) -> None:
    """List the stations, with their running sessions."""
    with _store(api_url) as store:
        found = store.stations()
    _show(as_json, found, lambda: formatting.stations_table(found))


@click.command("sessions")
@click.option("--station", help="Only sessions of this station id.")
@click.option("--operator", help="Only sessions of this operator id.")
@click.option("--type", "session_type", help="Only sessions of this type (script, pytest...).")
@click.option("--commit", "git_commit", help="Only sessions whose git commit starts so.")
@click.option("--project", "project_name", help="Only sessions with a run of this project.")
@click.option("--dut", "dut_serial", help="Only sessions with a run of this DUT serial.")
@_since_option
@_limit_option
@api_options
def sessions(
    *,
    station: str | None,
    operator: str | None,
    session_type: str | None,
    git_commit: str | None,
    project_name: str | None,
    dut_serial: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    api_url: str,
    as_json: bool,
) -> None:
    """List sessions, newest first."""
    with _store(api_url) as store:
        found = store.sessions(
            station_id=station,
            operator_id=operator,
            session_type=session_type,
            git_commit=git_commit,
            project_name=project_name,
            dut_serial=dut_serial,
            since=_since(since),
            until=until,
            limit=limit,
        )
    _show(as_json, found, lambda: formatting.sessions_table(found))


@click.command("session")
@click.argument("session_id")
@api_options
def session(session_id: str, api_url: str, as_json: bool) -> None:
    """Show one session: metadata, totals and runs."""
    with _store(api_url) as store:
        found = store.session(session_id)
    _show(as_json, found, lambda: formatting.session_view(found))


@click.command("events")
@click.option("--session", "session_id", required=True, help="The session id.")
@click.option(
    "--type", "event_type", type=click.Choice(sorted(EVENT_TAGS)), help="Only this event type."
)
@click.option("--after-seq", default=0, type=click.IntRange(min=0), help="Start after this seq.")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(min=1))
@api_options
def events(
    *,
    session_id: str,
    event_type: str | None,
    after_seq: int,
    limit: int,
    api_url: str,
    as_json: bool,
) -> None:
    """List a session's events in seq order."""
    with _store(api_url) as store:
        found = store.events(session_id, event_type=event_type, after_seq=after_seq, limit=limit)
    _show(as_json, found, lambda: formatting.events_table(found))


def run_filter_options(command: F) -> F:
    """The filters of the runs lists (``runs``, ``export runs``, ``export measurements``)."""
    options = [
        click.option("--dut", "dut_serial", help="Only runs of this DUT serial number."),
        click.option("--part", "part_number", help="Only runs of this part number."),
        click.option("--lot", "lot_number", help="Only runs of this DUT lot number."),
        click.option("--product", "product_id", help="Only runs of this product id."),
        click.option("--phase", "test_phase", help="Only runs of this test phase."),
        click.option("--project", "project_name", help="Only runs of this project."),
        click.option("--station", help="Only runs on this station id."),
        click.option("--session", "session_id", help="Only runs of this session."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command("runs")
@run_filter_options
@click.option("--operator", help="Only runs of this operator's sessions.")
@click.option("--commit", "git_commit", help="Only runs whose git commit starts so.")
@click.option("--outcome", type=click.Choice(RUN_STATUSES), help="Only runs with this outcome.")
@_since_option
@_limit_option
@api_options
def runs(
    *,
    dut_serial: str | None,
    part_number: str | None,
    lot_number: str | None,
    product_id: str | None,
    test_phase: str | None,
    project_name: str | None,
    station: str | None,
    session_id: str | None,
    operator: str | None,
    git_commit: str | None,
    outcome: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    api_url: str,
    as_json: bool,
) -> None:
    """List runs, newest first."""
    with _store(api_url) as store:
        found = store.runs(
            dut_serial=dut_serial,
            part_number=part_number,
            lot_number=lot_number,
            product_id=product_id,
            test_phase=test_phase,
            project_name=project_name,
            station_id=station,
            session_id=session_id,
            operator_id=operator,
            git_commit=git_commit,
            outcome=outcome,
            since=_since(since),
            until=until,
            limit=limit,
        )
    _show(as_json, found, lambda: formatting.runs_table(found))


@click.command("run")
@click.argument("run_id")
@click.option(
    "--measurements",
    "measurement_limit",
    default=200,
    show_default=True,
    type=click.IntRange(0, 100_000),
    help="Most measurements to show.",
)
@api_options
def run(run_id: str, measurement_limit: int, api_url: str, as_json: bool) -> None:
    """Show one run: metadata, verdict, steps and measurements."""
    with _store(api_url) as store:
        found = store.run(run_id, measurement_limit=measurement_limit)
    _show(as_json, found, lambda: formatting.run_view(found))


@click.command("dut")
@click.argument("serial")
@click.option("--phase", "test_phase", help="Only runs of this test phase.")
@click.option("--station", help="Only runs on this station id.")
@click.option(
    "--failed",
    "failed_limit",
    default=20,
    show_default=True,
    type=click.IntRange(0, 10_000),
    help="Most failed measurements shown per run.",
)
@api_options
def dut(
    *,
    serial: str,
    test_phase: str | None,
    station: str | None,
    failed_limit: int,
    api_url: str,
    as_json: bool,
) -> None:
    """Show a DUT's history: every run of SERIAL across stations, with retests and failures."""
    with _store(api_url) as store:
        found = store.dut(
            serial, test_phase=test_phase, station_id=station, failed_limit=failed_limit
        )
    _show(as_json, found, lambda: dut_view(found))


def dut_view(history: DutHistory) -> Table:
    """One row per run, oldest first: when, where, phase, attempt, verdict, failures."""
    shown = f"{len(history.runs)} of {history.run_count}" if history.truncated else ""
    title = f"DUT {history.dut_serial}: {history.run_count} run(s) {shown}".strip()
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in ("started (UTC)", "station", "phase", "attempt", "outcome", "duration"):
        table.add_column(column, overflow="fold")
    table.add_column("failed measurements", overflow="fold")
    for run in history.runs:
        table.add_row(
            formatting.format_time(run.started_at),
            run.station_id,
            run.test_phase,
            str(run.attempt),
            formatting.outcome_text(run.outcome),
            formatting.format_duration(run.duration_ns),
            _failures(run),
        )
    return table


def _failures(run: DutRun) -> str:
    lines = [_failure(point) for point in run.failed_measurements]
    hidden = run.failed_measurement_count - len(run.failed_measurements)
    if hidden > 0:
        lines.append(f"... {hidden} more")
    return "\n".join(lines)


def _failure(point: FailedMeasurement) -> str:
    value = point.value_str if point.value is None else f"{point.value:g}"
    unit = f" {point.unit}" if point.unit else ""
    step = f" ({point.step})" if point.step else ""
    return f"{point.name} = {value}{unit}, {_limits(point.low, point.high)}{step}"


def _limits(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"limits [{low:g}, {high:g}]"
    if high is not None:
        return f"limit <= {high:g}"
    return f"limit >= {low:g}" if low is not None else "no limits"

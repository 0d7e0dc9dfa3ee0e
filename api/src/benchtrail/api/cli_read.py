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

from benchtrail.api import formatting
from benchtrail.api.client import EventStore
from benchtrail.api.client_base import DEFAULT_URL
from benchtrail.api.errors import ApiError
from benchtrail.api.models import RUN_STATUSES
from benchtrail.schemas import EVENT_TAGS

F = TypeVar("F", bound=Callable[..., object])

_RELATIVE = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _since(value: str | None) -> str | None:
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
def _store(api_url: str) -> Iterator[EventStore]:
    """An EventStore whose errors become one-line click errors (exit status 1)."""
    try:
        with EventStore(api_url) as store:
            yield store
    except ApiError as e:
        raise click.ClickException(str(e)) from e


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
@_since_option
@_limit_option
@api_options
def sessions(
    *,
    station: str | None,
    operator: str | None,
    session_type: str | None,
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


@click.command("runs")
@click.option("--dut", "dut_serial", help="Only runs of this DUT serial number.")
@click.option("--part", "part_number", help="Only runs of this part number.")
@click.option("--outcome", type=click.Choice(RUN_STATUSES), help="Only runs with this outcome.")
@click.option("--station", help="Only runs on this station id.")
@click.option("--session", "session_id", help="Only runs of this session.")
@_since_option
@_limit_option
@api_options
def runs(
    *,
    dut_serial: str | None,
    part_number: str | None,
    outcome: str | None,
    station: str | None,
    session_id: str | None,
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
            outcome=outcome,
            station_id=station,
            session_id=session_id,
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


READ_COMMANDS: tuple[click.Command, ...] = (stations, sessions, session, events, runs, run)
"""The read commands, in the order ``benchtrail --help`` lists them."""

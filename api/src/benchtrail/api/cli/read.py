"""Read commands of the ``benchtrail`` CLI: stations, sessions, events and runs.

Every command talks to the HTTP API through :class:`EventStore` (``--api``,
default ``$BENCHTRAIL_API`` or ``http://127.0.0.1:8000``; ``--token``, default
``$BENCHTRAIL_TOKEN``, for a hub with tokens), prints rich tables,
or JSON with ``--json``. API errors end the command with one line on stderr
and exit status 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import click
import msgspec
from rich.console import RenderableType
from rich.table import Table

from benchtrail.api.cli import render
from benchtrail.api.cli.render import output_console
from benchtrail.api.client.base import DEFAULT_URL
from benchtrail.api.client.event_store import EventStore
from benchtrail.api.errors import ApiError
from benchtrail.api.models.access import TOKEN_ENV
from benchtrail.api.models.entities import DutHistory, DutRun, FailedMeasurement
from benchtrail.api.models.filters import DUTS, EVENTS, RUNS, SESSIONS, STATIONS, Filter, FilterSet

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


_TOKEN_KEY = "benchtrail.token"
"""Where ``--token`` keeps its value in the click context (read by :func:`cli_token`)."""


def _keep_token(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.meta[_TOKEN_KEY] = value


def token_option(command: F) -> F:
    """Add ``--token`` (env ``BENCHTRAIL_TOKEN``) to a command; read it with :func:`cli_token`."""
    return click.option(
        "--token",
        envvar=TOKEN_ENV,
        expose_value=False,
        callback=_keep_token,
        help="API token, for a hub with tokens (env BENCHTRAIL_TOKEN; on the hub's machine: "
        "benchtrail token create).",
    )(command)


def cli_token() -> str | None:
    """The ``--token`` of the running command (None: the client reads ``$BENCHTRAIL_TOKEN``)."""
    ctx = click.get_current_context(silent=True)
    token = ctx.meta.get(_TOKEN_KEY) if ctx is not None else None
    return str(token) if token else None


def api_options(command: F) -> F:
    """Add ``--api``, ``--token`` and ``--json`` to a command."""
    command = token_option(command)
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
        with EventStore(api_url, token=cli_token()) as store:
            yield store
    except ApiError as e:
        raise click.ClickException(str(e)) from e


_store = open_store


def _show(as_json: bool, result: object, render: Callable[[], RenderableType]) -> None:
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(result), indent=2).decode())
    else:
        output_console().print(render())


def filter_options(*declared: FilterSet) -> Callable[[F], F]:
    """Add the CLI options of the filters of ``declared`` (one list, or several for ``export``).

    Each option's flag, help and choices come from the declaration, and its
    value arrives under the filter's name (give them to :func:`given_filters`).
    A flag several lists share is one option, its help naming the lists that differ.
    """
    by_flag: dict[str, list[tuple[str, Filter]]] = {}
    for filter_set in declared:
        for declared_filter in filter_set.filters:
            by_flag.setdefault(declared_filter.option, []).append(
                (filter_set.list_name, declared_filter)
            )
    options = [_option(flag, found, len(declared)) for flag, found in by_flag.items()]

    def add(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return add


def _option(flag: str, found: list[tuple[str, Filter]], lists: int) -> Callable[[F], F]:
    names = {declared_filter.name for _, declared_filter in found}
    if len(names) > 1:
        raise ValueError(f"{flag} names different filters: {sorted(names)!r}")
    docs: dict[str, list[str]] = {}
    for list_name, declared_filter in found:
        docs.setdefault(_help(declared_filter), []).append(list_name)
    if len(docs) == 1 and len(found) == lists:
        text = next(iter(docs))
    else:
        text = " ".join(f"{doc} ({', '.join(of)})" for doc, of in docs.items())
    choices = {declared_filter.choices for _, declared_filter in found}
    only = next(iter(choices))
    kind = click.Choice(only) if len(choices) == 1 and only and len(found) == lists else None
    return click.option(flag, found[0][1].name, type=kind, help=text)


def _help(declared: Filter) -> str:
    if declared.is_time:
        return f"{declared.doc}: ISO-8601 (UTC when naive), ns, or 30m/2h/7d ago."
    return declared.doc


def given_filters(values: Mapping[str, str | None]) -> dict[str, Any]:
    """The filter options that were given; ``30m``/``2h``/``7d`` times as ISO times.

    Typed ``Any`` to pass as keywords: the client checks the names against the declaration.
    """
    given = {name: value for name, value in values.items() if value}
    return {name: relative_since(value) or value for name, value in given.items()}


def _limit_option(command: F) -> F:
    return click.option(
        "--limit",
        default=50,
        show_default=True,
        type=click.IntRange(min=1),
        help="Most rows to show.",
    )(command)


@click.command("stations")
@filter_options(STATIONS)
@api_options
def stations(*, api_url: str, as_json: bool, **filters: str | None) -> None:
    """List the stations, with their running sessions."""
    with _store(api_url) as store:
        found = store.stations(**given_filters(filters))
    _show(as_json, found, lambda: render.stations_table(found))


@click.command("sessions")
@filter_options(SESSIONS)
@_limit_option
@api_options
def sessions(*, limit: int, api_url: str, as_json: bool, **filters: str | None) -> None:
    """List sessions, newest first."""
    with _store(api_url) as store:
        found = store.sessions(**given_filters(filters), limit=limit)
    _show(as_json, found, lambda: render.sessions_table(found))


@click.command("session")
@click.argument("session_id")
@api_options
def session(session_id: str, api_url: str, as_json: bool) -> None:
    """Show one session: metadata, totals and runs."""
    with _store(api_url) as store:
        found = store.session(session_id)
    _show(as_json, found, lambda: render.session_view(found))


@click.command("events")
@click.option("--session", "session_id", required=True, help="The session id.")
@filter_options(EVENTS)
@click.option("--after-seq", default=0, type=click.IntRange(min=0), help="Start after this seq.")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(min=1))
@api_options
def events(
    *,
    session_id: str,
    after_seq: int,
    limit: int,
    api_url: str,
    as_json: bool,
    **filters: str | None,
) -> None:
    """List a session's events in seq order."""
    with _store(api_url) as store:
        found = store.events(session_id, after_seq=after_seq, limit=limit, **given_filters(filters))
    _show(as_json, found, lambda: render.events_table(found))


@click.command("runs")
@filter_options(RUNS)
@_limit_option
@api_options
def runs(*, limit: int, api_url: str, as_json: bool, **filters: str | None) -> None:
    """List runs, newest first."""
    with _store(api_url) as store:
        found = store.runs(**given_filters(filters), limit=limit)
    _show(as_json, found, lambda: render.runs_table(found))


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
@click.option(
    "--attachments",
    "attachments_dir",
    type=click.Path(file_okay=False, writable=True),
    help="Save the run's attachments into this folder (created), named as attached.",
)
@api_options
def run(
    run_id: str, measurement_limit: int, attachments_dir: str | None, api_url: str, as_json: bool
) -> None:
    """Show one run: metadata, verdict, steps and measurements; save its attachments."""
    with _store(api_url) as store:
        found = store.run(run_id, measurement_limit=measurement_limit)
        saved = store.save_attachments(run_id, attachments_dir) if attachments_dir else None
    _show(as_json, found, lambda: render.run_view(found))
    if saved is not None:
        click.echo(f"saved {len(saved)} attachment(s) to {attachments_dir}", err=as_json)


@click.command("dut")
@click.argument("serial")
@filter_options(DUTS)
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
    *, serial: str, failed_limit: int, api_url: str, as_json: bool, **filters: str | None
) -> None:
    """Show a DUT's history: every run of SERIAL across stations, with retests and failures."""
    with _store(api_url) as store:
        found = store.dut(serial, failed_limit=failed_limit, **given_filters(filters))
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
            render.format_time(run.started_at),
            run.station_id,
            run.test_phase,
            str(run.attempt),
            render.outcome_text(run.outcome),
            render.format_duration(run.duration_ns),
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

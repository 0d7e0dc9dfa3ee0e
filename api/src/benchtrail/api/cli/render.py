"""Rich renderings of API results for the ``benchtrail`` command line.

Times are shown in UTC, as the API gives them; outcomes are coloured the same
way everywhere (passed green, failed red, error magenta, aborted yellow,
running cyan).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from benchtrail.api.models.entities import (
    MeasurementPoint,
    RunDetail,
    RunSummary,
    SessionDetail,
    SessionSummary,
    StationSummary,
    StepSummary,
)
from benchtrail.api.timestamps import ns_to_datetime
from benchtrail.schemas import (
    Event,
    Log,
    Measurement,
    MeasurementBatch,
    RunEnded,
    RunStarted,
    SessionEnded,
    SessionStarted,
    StepEnded,
    StepStarted,
)

OUTCOME_STYLES: dict[str, str] = {
    "passed": "green",
    "failed": "bold red",
    "error": "magenta",
    "aborted": "yellow",
    "running": "cyan",
    "skipped": "dim",
    "unset": "dim",
    "ended": "dim",
}
"""Style of each outcome or status word."""


PIPED_WIDTH = 10_000
"""Width of the output when it is not a terminal: a table row is never wrapped."""


def output_console() -> Console:
    """The console of a command's output (stdout).

    On a terminal, tables fit its width (long cells fold). Piped or redirected,
    rows stay whole, one line each, so an id can be read back by ``grep``, ``cut``
    or ``awk`` (rich would otherwise wrap to 80 columns).
    """
    console = Console()
    return console if console.is_terminal else Console(width=PIPED_WIDTH)


def outcome_text(outcome: str | None) -> Text:
    """An outcome or status, coloured; ``running`` for None."""
    word = outcome or "running"
    return Text(word, style=OUTCOME_STYLES.get(word, ""))


def format_time(moment: datetime | None) -> str:
    """``2024-05-01 12:00:00Z`` (UTC), or an empty string."""
    return moment.strftime("%Y-%m-%d %H:%M:%SZ") if moment is not None else ""


def format_duration(ns: int | None) -> str:
    """A duration in a readable unit: ``850 ms``, ``12.3 s``, ``4.0 min``."""
    if ns is None:
        return ""
    if ns < 1_000_000_000:
        return f"{ns / 1e6:.0f} ms"
    if ns < 60_000_000_000:
        return f"{ns / 1e9:.1f} s"
    return f"{ns / 6e10:.1f} min"


def _table(title: str | None, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def stations_table(stations: Iterable[StationSummary]) -> Table:
    """One row per station, with its running sessions."""
    table = _table(None, "station", "name", "type", "location", "sessions", "running", "last seen")
    for s in stations:
        running = Text(
            str(s.running_session_count), style="cyan" if s.running_session_count else ""
        )
        table.add_row(
            s.station_id,
            s.station_name,
            s.station_type,
            s.station_location,
            str(s.session_count),
            running,
            format_time(s.last_seen),
        )
    return table


def sessions_table(sessions: Iterable[SessionSummary]) -> Table:
    """One row per session, newest first."""
    table = _table(None, "started", "station", "type", "operator", "status", "runs", "session")
    for s in sessions:
        table.add_row(
            format_time(s.started_at),
            s.station_id,
            s.session_type,
            s.operator_name or s.operator_id,
            outcome_text(s.status),
            str(s.run_count),
            s.session_id,
        )
    return table


def runs_table(runs: Iterable[RunSummary], title: str | None = None) -> Table:
    """One row per run, newest first, outcome coloured."""
    table = _table(
        title, "started", "station", "DUT", "part", "phase", "outcome", "meas.", "failed", "run"
    )
    table.columns[2].no_wrap = True
    for r in runs:
        table.add_row(
            format_time(r.started_at),
            r.station_id,
            r.dut_serial,
            r.dut_part_number,
            r.test_phase,
            outcome_text(r.outcome),
            str(r.measurement_count),
            Text(
                str(r.failed_measurement_count), style="red" if r.failed_measurement_count else ""
            ),
            r.run_id,
        )
    return table


def _fields(title: str, pairs: Sequence[tuple[str, RenderableType]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.title = title
    table.title_justify = "left"
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for name, value in pairs:
        if value not in ("", None):
            table.add_row(name, value)
    return table


def session_view(session: SessionDetail) -> Group:
    """A session's metadata, totals and runs."""
    by_outcome = ", ".join(f"{n} {o}" for o, n in session.counts.runs_by_outcome.items() if n)
    git = f"{session.git_commit[:12]} {session.git_branch}{' (dirty)' if session.git_dirty else ''}"
    pairs: list[tuple[str, RenderableType]] = [
        ("session", session.session_id),
        ("status", outcome_text(session.status)),
        ("station", f"{session.station_id} {session.station_name}".strip()),
        ("location", session.station_location),
        ("host", f"{session.hostname} pid {session.pid}" if session.hostname else ""),
        ("type", session.session_type),
        ("client", f"{session.client_name} {session.client_version}".strip()),
        ("operator", f"{session.operator_name} ({session.operator_id})"),
        ("fixture", session.fixture_id),
        ("started", format_time(session.started_at)),
        ("ended", f"{format_time(session.ended_at)} {session.end_reason}".strip()),
        ("git", git.strip()),
        ("python", session.python_version),
        ("runs", f"{session.run_count} ({by_outcome})" if by_outcome else "0"),
        ("events", str(session.event_count)),
        (
            "measurements",
            _points(session.counts.measurement_count, session.counts.failed_measurement_count),
        ),
    ]
    return Group(_fields("Session", pairs), runs_table(session.runs, title="Runs"))


def _points(total: int, failed: int) -> Text:
    return Text(f"{total} ({failed} failed)", style="red" if failed else "")


def run_view(run: RunDetail) -> Group:
    """A run's metadata, verdict, steps and measurements."""
    custom = ", ".join(f"{k}={v}" for k, v in run.custom_metadata.items())
    pairs: list[tuple[str, RenderableType]] = [
        ("run", run.run_id),
        ("outcome", outcome_text(run.outcome)),
        ("error", run.error),
        ("DUT", f"{run.dut_serial} part {run.dut_part_number} rev {run.dut_revision}"),
        ("lot", run.dut_lot_number),
        ("product", f"{run.product_id} {run.product_name} {run.product_revision}".strip()),
        ("station", run.station_id),
        ("slot", f"{run.slot_id} (index {run.slot_index})" if run.slot_id else ""),
        ("fixture", run.fixture_id),
        ("phase", run.test_phase),
        ("project", run.project_name),
        ("session", run.session_id),
        ("started", format_time(run.started_at)),
        ("duration", format_duration(run.duration_ns)),
        ("git", f"{run.git_commit[:12]} {run.git_branch}".strip()),
        ("metadata", custom),
        ("measurements", _points(run.measurement_count, run.failed_measurement_count)),
    ]
    parts: list[RenderableType] = [_fields("Run", pairs)]
    if run.steps:
        parts.append(steps_table(run.steps))
    parts.append(measurements_table(run.measurements))
    if run.measurements_truncated:
        shown = len(run.measurements)
        parts.append(Text(f"{shown} of {run.measurement_count} measurements shown", style="dim"))
    return Group(*parts)


def steps_table(steps: Iterable[StepSummary]) -> Table:
    """One row per step of a run."""
    table = _table("Steps", "step", "started", "outcome", "duration", "error")
    for s in steps:
        table.add_row(
            s.name,
            format_time(s.started_at),
            outcome_text(s.outcome),
            format_duration(s.duration_ns),
            s.error,
        )
    return table


def measurements_table(points: Iterable[MeasurementPoint]) -> Table:
    """One row per measured point, with its limits and verdict."""
    table = _table(
        "Measurements", "time", "name", "value", "unit", "low", "high", "outcome", "step"
    )
    for p in points:
        value = p.value_str if p.value is None else f"{p.value:g}"
        table.add_row(
            format_time(p.ts),
            p.name,
            value,
            p.unit,
            _limit(p.low),
            _limit(p.high),
            outcome_text(p.outcome),
            p.step,
        )
    return table


def _limit(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def events_table(events: Iterable[Event]) -> Table:
    """One row per event in ``seq`` order, with a one-line gist of what it says."""
    table = _table(None, "seq", "time", "type", "run", "what")
    for event in events:
        tag = event.__struct_config__.tag
        table.add_row(
            str(event.seq),
            format_time(ns_to_datetime(event.occurred_at)),
            str(tag),
            str(getattr(event, "run_id", "")),
            event_gist(event),
        )
    return table


def event_gist(event: Event) -> Text:
    """A short human summary of one event."""
    match event:
        case SessionStarted():
            who = event.operator.name or event.operator.id
            return Text(
                _words(event.session_type, "on", event.station.id, "by" if who else "", who)
            )
        case SessionEnded():
            reason = f"({event.reason})" if event.reason else ""
            return Text(_words(f"{event.run_count} runs, {event.event_count} events", reason))
        case RunStarted():
            return Text(_words("DUT", event.dut.serial, event.dut.part_number, event.test_phase))
        case RunEnded() | StepEnded():
            prefix = f"{event.name} " if isinstance(event, StepEnded) else ""
            return Text(prefix).append_text(outcome_text(event.outcome))
        case StepStarted():
            return Text(event.name)
        case Measurement():
            text = Text(_words(event.name, "=", str(event.value), event.unit) + " ")
            return text.append_text(outcome_text(event.outcome))
        case MeasurementBatch():
            name = event.name or ", ".join(sorted(set(event.names)))
            return Text(f"{len(event.values)} points of {name}")
        case Log():
            return Text(f"{event.level}: {event.message}")
        case _:
            return Text("")


def _words(*words: str) -> str:
    return " ".join(word for word in words if word)

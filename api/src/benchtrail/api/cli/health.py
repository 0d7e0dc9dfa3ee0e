"""``benchtrail health``: is every recorded event in the warehouse? (``GET /api/health/ingest``)

Prints the overall status and its problems, the stream and the projector's lag, the
last ingest, the newest dead letters, and the sessions whose ``seq`` has gaps with
their missing ranges; ``--json`` prints the API's answer as is.
"""

from __future__ import annotations

import click
import msgspec
from rich.console import Group, RenderableType
from rich.table import Table

from benchtrail.api.cli.read import api_options, open_store, relative_since
from benchtrail.api.cli.render import output_console
from benchtrail.api.models.ingest import IngestHealth, SessionGap

_STYLES = {"ok": "green", "lagging": "yellow", "gaps": "red", "dead-letters": "red"}


@click.command("health")
@click.option(
    "--since",
    help="Check sessions with an event on or after this UTC day: ISO-8601, ns, or 7d/2h ago"
    " (default 7 days).",
)
@click.option(
    "--sessions",
    default=20,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Most sessions with gaps listed.",
)
@api_options
def health(*, since: str | None, sessions: int, api_url: str, as_json: bool) -> None:
    """Show ingest health: lag, last ingest, dead letters and per-session seq gaps."""
    with open_store(api_url) as store:
        found = store.ingest_health(relative_since(since), sessions=sessions)
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(found), indent=2).decode())
        return
    output_console().print(health_view(found))


def health_view(found: IngestHealth) -> RenderableType:
    """Status, problems, hub figures and the gaps table."""
    style = _STYLES[found.status]
    lines: list[RenderableType] = [f"ingest: [bold {style}]{found.status}[/]"]
    lines += [f"  - {problem}" for problem in found.problems]
    lines.append(_figures(found))
    if found.dead_letters is not None and found.dead_letters.newest:
        dead = Table(title="newest dead letters", title_justify="left", header_style="bold")
        for column in ("BT_DEAD seq", "stored", "subject", "reason"):
            dead.add_column(column, overflow="fold")
        for letter in found.dead_letters.newest:
            stored = letter.stored_at.isoformat() if letter.stored_at else ""
            dead.add_row(str(letter.dead_seq), stored, letter.original_subject, letter.reason)
        lines.append(dead)
    if found.gaps.sessions:
        lines.append(_gaps_table(found))
    return Group(*lines)


def _figures(found: IngestHealth) -> Table:
    figures = Table.grid(padding=(0, 2))
    figures.add_column(style="bold")
    figures.add_column()
    stream = found.stream
    rows = [
        ("stream", f"seq {stream.first_seq}..{stream.last_seq}, {stream.messages:,} messages")
        if stream
        else None,
        ("ingested through", str(found.ingested_through))
        if found.ingested_through is not None
        else None,
        (
            "consumer",
            f"{found.consumer.num_pending:,} pending, {found.consumer.num_ack_pending:,}"
            f" being written, ack floor {found.consumer.ack_floor}",
        )
        if found.consumer
        else None,
        (
            "last ingest",
            f"{found.last_ingest_at:%Y-%m-%d %H:%M:%S}Z ({found.last_ingest_age_s} s ago)",
        )
        if found.last_ingest_at
        else None,
        (
            "not written yet",
            f"{found.stream.last_seq - found.ingested_through:,} message(s), the oldest"
            f" {found.unwritten_age_s} s in the stream",
        )
        if found.unwritten_age_s is not None and found.stream and found.ingested_through is not None
        else None,
        ("last error", found.last_error) if found.last_error else None,
        ("dead letters", f"{found.dead_letters.count:,}") if found.dead_letters else None,
        (
            "gaps",
            f"{found.gaps.sessions_checked:,} sessions since {found.gaps.since:%Y-%m-%d} checked,"
            f" {found.gaps.sessions_with_gaps:,} with gaps",
        ),
    ]
    for row in rows:
        if row is not None:
            figures.add_row(*row)
    for field, reason in found.unavailable.items():
        figures.add_row(field, f"[dim]unknown: {reason}[/]")
    return figures


def _gaps_table(found: IngestHealth) -> Table:
    more = f" ({found.gaps.more_sessions} more not listed)" if found.gaps.more_sessions else ""
    table = Table(title=f"sessions with gaps{more}", title_justify="left", header_style="bold")
    for column in ("session", "station", "stored", "expected", "missing", "start", "ranges"):
        table.add_column(column, overflow="fold")
    for gap in found.gaps.sessions:
        table.add_row(
            gap.session_id,
            gap.station_id,
            f"{gap.stored:,}",
            f"{gap.expected_last:,}",
            f"{gap.missing:,}",
            "missing" if gap.start_missing else "ok",
            _ranges(gap),
        )
    return table


def _ranges(gap: SessionGap) -> str:
    text = ", ".join(
        str(r.first) if r.first == r.last else f"{r.first}..{r.last}" for r in gap.ranges
    )
    return f"{text} (+{gap.more_ranges} more)" if gap.more_ranges else text

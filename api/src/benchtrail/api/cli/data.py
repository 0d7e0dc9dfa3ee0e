"""``benchtrail data``: manage the hub's recorded data — ``data prune`` removes old days.

``benchtrail data prune --older-than 90d [--dry-run]`` asks the hub (through the
HTTP API: the warehouse is open in the hub's process only) to drop every table's
whole days older than the cut and to trim the stream to match, and prints what went.
"""

from __future__ import annotations

import click
import msgspec
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from benchtrail.api.cli.read import api_options, cli_token
from benchtrail.api.cli.render import output_console
from benchtrail.api.client.data import DataMethods
from benchtrail.api.errors import ApiError, BadParameter
from benchtrail.api.models.prune import PruneReport, StreamTrim, TablePrune, parse_age

PRUNE_TIMEOUT = 600.0
"""Seconds the command waits for the hub to prune (dropping partitions is quick; a
``DELETE`` in a table of an older warehouse may not be)."""

_METHODS = {"partitions": "day partitions", "delete": "DELETE", "kept": "kept"}


@click.group("data")
def data() -> None:
    """Manage the hub's recorded data: retention."""


def _check_age(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parse_age(value)
    except BadParameter as e:
        raise click.BadParameter(f"expected {e.expected}, got {value!r}") from e
    return value.strip()


@data.command("prune")
@click.option(
    "--older-than",
    callback=_check_age,
    help="Remove what is older than this: 90d, 12h, 2w (whole UTC days go). "
    "Default: the hub's configured retention; without one, nothing is removed.",
)
@click.option("--dry-run", is_flag=True, help="Change nothing; show what would be removed.")
@api_options
def prune(*, older_than: str | None, dry_run: bool, api_url: str, as_json: bool) -> None:
    """Drop whole days older than the cut from every table, and trim the stream to match."""
    try:
        with DataMethods(api_url, token=cli_token(), timeout=PRUNE_TIMEOUT) as client:
            report = client.prune(older_than, dry_run=dry_run)
    except ApiError as e:
        raise click.ClickException(str(e)) from e
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(report), indent=2).decode())
    else:
        output_console().print(prune_view(report))


def prune_view(report: PruneReport) -> RenderableType:
    """What a prune removed (or would), as the terminal shows it."""
    if report.policy == "none":
        return Text(
            "Nothing pruned: no --older-than given and the hub has no retention configured "
            "(the default policy keeps everything)."
        )
    assert report.removed_before is not None
    source = "the hub's retention" if report.policy == "configured" else "--older-than"
    day = report.removed_before.date().isoformat()
    what = f"data older than {report.older_than} ({source}): every day before {day} (UTC)"
    if report.dry_run:
        headline = f"Dry run, nothing changed; would remove {what}."
    else:
        headline = f"Pruned {what}."
    parts: list[RenderableType] = [Text(headline, style="bold"), tables_view(report.tables)]
    if report.stream is not None:
        parts.append(Text(stream_line(report.stream, dry_run=report.dry_run)))
    parts.append(Text(report.message[:1].upper() + report.message[1:] + "."))
    return Group(*parts)


def tables_view(tables: list[TablePrune]) -> Table:
    """One row per table: how its old rows go, which days, how many rows."""
    table = Table(title_justify="left")
    for column in ("table", "by", "days", "rows", "note"):
        table.add_column(column, overflow="fold", justify="right" if column == "rows" else "left")
    for entry in tables:
        table.add_row(
            entry.table,
            _METHODS[entry.method] + (f" ({entry.time_column})" if entry.time_column else ""),
            days_text(entry.days),
            f"{entry.rows:,}",
            entry.note,
        )
    return table


def days_text(days: list[str]) -> str:
    """``2024-01-01 … 2024-03-05 (12 days)``, or the days themselves when few."""
    if len(days) <= 3:
        return ", ".join(days) or "-"
    return f"{days[0]} … {days[-1]} ({len(days)} days)"


def stream_line(stream: StreamTrim, *, dry_run: bool) -> str:
    """The stream's part of the report in one sentence."""
    if stream.messages == 0:
        text = f"Stream {stream.stream}: no frame to purge (first sequence {stream.first_seq})"
    else:
        verb = "would purge" if dry_run else "purged"
        text = (
            f"Stream {stream.stream}: {verb} {stream.messages:,} frames "
            f"(sequences {stream.first_seq}-{stream.kept_from - 1}); "
            f"first sequence {'would be' if dry_run else 'now'} {stream.kept_from}"
        )
    return f"{text}; {stream.note}." if stream.note else f"{text}."

"""``benchtrail logs --run RUN_ID``: a run's log lines in time order."""

from __future__ import annotations

from collections.abc import Iterable

import click
import msgspec
from rich.table import Table

from benchtrail.api.cli.read import api_options, filter_options, given_filters, open_store
from benchtrail.api.cli.render import format_time, output_console
from benchtrail.api.models.filters import LOGS
from benchtrail.api.models.logs import LogLine


@click.command("logs")
@click.option("--run", "run_id", required=True, help="The run id.")
@filter_options(LOGS)
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 10_000))
@api_options
def logs(*, run_id: str, limit: int, api_url: str, as_json: bool, **filters: str | None) -> None:
    """List a run's log lines in time order (the station's, and the test's it recorded)."""
    with open_store(api_url) as store:
        found = store.logs(run_id, limit=limit, **given_filters(filters))
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(found), indent=2).decode())
    else:
        output_console().print(log_table(found))


def log_table(lines: Iterable[LogLine]) -> Table:
    """One row per log line: time, level, logger, where, message."""
    table = Table(header_style="bold")
    for column in ("time", "level", "logger", "source", "message"):
        table.add_column(column, overflow="fold")
    for line in lines:
        table.add_row(format_time(line.at), line.level, line.logger, line.source, line.message)
    return table

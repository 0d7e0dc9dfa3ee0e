"""``benchtrail outbox``: what a station's outbox holds, and delivering what dead processes left.

``benchtrail outbox status [--station ID] [--dir DIR] [--json]`` lists the outbox files
(pending frames and events, bytes, oldest pending age, owner alive or orphan, last
error). ``benchtrail outbox flush [--station ID] [--hub URL] [--timeout S]`` takes over
orphan files and delivers them, exiting 1 if the hub did not acknowledge everything.
The logic lives in :mod:`benchtrail.agents.publishing.outbox_admin`.
"""

from __future__ import annotations

from pathlib import Path

import click
import msgspec

from benchtrail.agents.publishing.outbox_admin import (
    flush_outboxes,
    format_flush,
    format_status,
    outbox_status,
)

_dir_option = click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Outbox root directory (default: $BENCHTRAIL_OUTBOX_DIR or the data directory).",
)
_station_option = click.option("--station", default=None, help="Only this station's files.")


@click.group("outbox")
def outbox() -> None:
    """Show or deliver what station outboxes hold for the hub."""


@outbox.command("status")
@_station_option
@_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(*, station: str | None, directory: Path | None, as_json: bool) -> None:
    """Pending frames and events, bytes, oldest age, owner and last error, per file."""
    files = outbox_status(directory, station)
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(files), indent=2).decode())
    else:
        click.echo(format_status(files))


@outbox.command("flush")
@_station_option
@_dir_option
@click.option("--hub", default=None, help="Hub URL (default: the one recorded in the files).")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for acks.")
def flush(*, station: str | None, directory: Path | None, hub: str | None, timeout: float) -> None:
    """Take over the files of station processes that died and deliver them to the hub."""

    def progress(station_id: str, delivered: int, total: int) -> None:
        click.echo(f"\r{station_id}: {delivered:,}/{total:,} events delivered", nl=False, err=True)

    results = flush_outboxes(
        station, hub=hub, directory=directory, timeout=timeout, progress=progress
    )
    if results:
        click.echo("", err=True)
    click.echo(format_flush(results))
    remaining = sum(r.remaining_events for r in results)
    if remaining:
        raise click.ClickException(
            f"{remaining:,} event(s) were not acknowledged by the hub; they stay in the "
            "outbox: check the hub and run 'benchtrail outbox flush' again"
        )

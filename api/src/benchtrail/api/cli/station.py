"""``benchtrail station add|list|revoke``: the hub's station identities, on the hub's machine.

These work on the hub's data directory (``--data-dir``, as ``benchtrail up``) without a
token: whoever can write that directory is the hub's admin. ``add`` writes the new
station's credentials file (mode 0600) and ``add`` and ``revoke`` have a running hub
apply the change at once (nats-server reloads its configuration; a revoked station's
connections are closed). Each prints what changed; ``add`` ends with the credentials
path alone on the last line, for scripts.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from benchtrail.api.errors import ApiError
from benchtrail.api.hub.identity import (
    StationEntry,
    StationRegistry,
    credentials_path,
    hub_pid_file,
    reload_nats_server,
)

console = Console(highlight=False)

_DATA_DIR = click.option(
    "--data-dir",
    default=".benchtrail",
    show_default=True,
    help="The hub's data directory (as given to benchtrail up).",
)


@click.group("station")
def station() -> None:
    """Register, list and revoke station identities (on the hub's machine)."""


@station.command("add")
@click.argument("station_id")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the credentials file. Default: <data-dir>/credentials/<id>.nk.",
)
@_DATA_DIR
def add(*, station_id: str, out: Path | None, data_dir: str) -> None:
    """Register STATION_ID and write its credentials file (give it to the station only)."""
    try:
        credentials = StationRegistry(data_dir).add(station_id)
    except ApiError as e:
        raise click.ClickException(str(e)) from e
    path = credentials.write(out or credentials_path(data_dir, station_id)).resolve()
    console.print(f"Station {station_id} registered (public key {credentials.public_key}).")
    console.print(
        _applied(
            data_dir,
            f"{station_id} may connect now",
            f"{station_id} may connect once it starts with --auth",
        )
    )
    console.print(
        f"On the station: credentials: {path} in benchtrail.yaml, or "
        "BENCHTRAIL_CREDENTIALS=<file>. Credentials file:"
    )
    click.echo(path)


@station.command("list")
@_DATA_DIR
def list_stations(*, data_dir: str) -> None:
    """List the registered stations, revoked ones included."""
    entries = StationRegistry(data_dir).list()
    if not entries:
        console.print(f"No stations registered in {data_dir} (benchtrail station add ID).")
        return
    console.print(_table(entries))


@station.command("revoke")
@click.argument("station_id")
@_DATA_DIR
def revoke(*, station_id: str, data_dir: str) -> None:
    """Revoke STATION_ID: the hub refuses its credentials and closes its connections."""
    try:
        StationRegistry(data_dir).revoke(station_id)
    except ApiError as e:
        raise click.ClickException(str(e)) from e
    console.print(f"Station {station_id} revoked.")
    console.print(
        _applied(
            data_dir,
            f"{station_id}'s connections are closed",
            f"{station_id} is refused from its next start",
        )
    )


def _applied(data_dir: str, running: str, stopped: str) -> str:
    """Apply the change to a running hub; say what happened."""
    if reload_nats_server(hub_pid_file(data_dir)):
        return f"The running hub reloaded its configuration: {running}."
    return f"No hub is running on {data_dir}: {stopped}."


def _table(entries: list[StationEntry]) -> Table:
    table = Table("station", "state", "registered (UTC)", "revoked (UTC)", "public key")
    for entry in entries:
        table.add_row(
            entry.station_id,
            "active" if entry.active else "revoked",
            f"{entry.created_at:%Y-%m-%d %H:%M:%S}",
            f"{entry.revoked_at:%Y-%m-%d %H:%M:%S}" if entry.revoked_at else "",
            entry.public_key,
        )
    return table

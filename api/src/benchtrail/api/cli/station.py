"""``benchtrail station add|list|revoke``: the hub's station identities.

On the hub's machine these work on its data directory (``--data-dir``, as ``benchtrail
up``) without a token: whoever can write that directory is the hub's admin. From
elsewhere, ``--api URL`` with an admin ``--token`` goes through ``/api/admin/stations``.
``add`` writes the new station's credentials file (mode 0600) and ``add`` and
``revoke`` have a running hub apply the change at once (nats-server reloads its
configuration; a revoked station's connections are closed). ``add`` ends with the
credentials path alone on the last line, for scripts.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from benchtrail.api.cli.hub_admin import hub_admin_options
from benchtrail.api.client.stations_admin import StationAdminClient, write_credentials
from benchtrail.api.errors import ApiError
from benchtrail.api.models.access import IssuedStation, StationView

console = Console(highlight=False)


_where = hub_admin_options("stations")


class _Local:
    """The registry in the hub's data directory, applied to a running hub by a reload."""

    def __init__(self, data_dir: str) -> None:
        try:
            from benchtrail.api.hub import identity  # the hub's install (nkeys)
        except ImportError as e:
            raise click.ClickException(
                f"managing stations on this machine needs the hub's install "
                f"(benchtrail-api[hub]); from elsewhere use --api URL --token ADMIN ({e})"
            ) from e
        self.data_dir = data_dir
        self.identity = identity
        self.desk = identity.StationDesk(data_dir, self._reload)
        self.reloaded = False

    def _reload(self) -> None:
        self.reloaded = self.identity.reload_nats_server(self.identity.hub_pid_file(self.data_dir))

    def default_path(self, station_id: str) -> Path:
        return Path(self.identity.credentials_path(self.data_dir, station_id))

    def applied(self, running: str, stopped: str) -> str:
        if self.reloaded:
            return f"The running hub reloaded its configuration: {running}."
        return f"No hub is running on {self.data_dir}: {stopped}."


@click.group("station")
def station() -> None:
    """Register, list and revoke station identities (their NATS credentials)."""


@station.command("add")
@click.argument("station_id")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the credentials file. Default: <data-dir>/credentials/<id>.nk on "
    "the hub's machine, ./<id>.nk with --api.",
)
@_where
def add(
    *, station_id: str, out: Path | None, data_dir: str, api_url: str | None, token: str | None
) -> None:
    """Register STATION_ID and write its credentials file (give it to the station only)."""
    try:
        if api_url is None:
            local = _Local(data_dir)
            issued: IssuedStation = local.desk.add(station_id)
            path = out or local.default_path(station_id)
            applied = local.applied(
                f"{station_id} may connect now",
                f"{station_id} may connect once the hub starts with --auth",
            )
        else:
            with StationAdminClient(api_url, token=token) as client:
                issued = client.add(station_id)
            path = out or Path(f"{station_id}.nk")
            applied = f"The hub at {api_url} applied it: {station_id} may connect now."
    except ApiError as e:
        raise click.ClickException(str(e)) from e
    path = write_credentials(path, issued.credentials).resolve()
    console.print(f"Station {station_id} registered (public key {issued.station.public_key}).")
    console.print(applied)
    console.print(
        f"On the station: credentials: {path} in benchtrail.yaml, or "
        "BENCHTRAIL_CREDENTIALS=<file>. Credentials file:"
    )
    click.echo(path)


@station.command("list")
@_where
def list_stations(*, data_dir: str, api_url: str | None, token: str | None) -> None:
    """List the registered stations, revoked ones included."""
    try:
        if api_url is None:
            views = _Local(data_dir).desk.views()
        else:
            with StationAdminClient(api_url, token=token) as client:
                views = client.stations()
    except ApiError as e:
        raise click.ClickException(str(e)) from e
    if not views:
        console.print(
            f"No stations registered in {api_url or data_dir} (benchtrail station add ID)."
        )
        return
    console.print(_table(views))


@station.command("revoke")
@click.argument("station_id")
@_where
def revoke(*, station_id: str, data_dir: str, api_url: str | None, token: str | None) -> None:
    """Revoke STATION_ID: the hub refuses its credentials and closes its connections."""
    try:
        if api_url is None:
            local = _Local(data_dir)
            local.desk.revoke(station_id)
            applied = local.applied(
                f"{station_id}'s connections are closed",
                f"{station_id} is refused from its next start",
            )
        else:
            with StationAdminClient(api_url, token=token) as client:
                client.revoke(station_id)
            applied = f"The hub at {api_url} applied it: {station_id}'s connections are closed."
    except ApiError as e:
        raise click.ClickException(str(e)) from e
    console.print(f"Station {station_id} revoked.")
    console.print(applied)


def _table(views: list[StationView]) -> Table:
    table = Table("station", "state", "registered (UTC)", "revoked (UTC)", "public key")
    for view in views:
        table.add_row(
            view.station_id,
            "revoked" if view.revoked_at else "active",
            view.created_at[:19].replace("T", " "),
            (view.revoked_at or "")[:19].replace("T", " "),
            view.public_key,
        )
    return table

"""``benchtrail locks``: who holds which instrument, and breaking a lock by force."""

from __future__ import annotations

import getpass
import socket

import click
from rich.table import Table

from benchtrail.api.cli.read import _show, _store, api_options
from benchtrail.api.models.entities import LockView


def _locks_table(locks: list[LockView]) -> Table:
    table = Table(title=f"{len(locks)} lock(s) held")
    for column in ("key", "resource", "station", "session", "host", "pid", "since", "token"):
        table.add_column(column)
    for lock in locks:
        table.add_row(
            lock.key,
            lock.resource,
            lock.station_id,
            lock.session_id,
            lock.host,
            str(lock.pid),
            lock.since.strftime("%Y-%m-%d %H:%M:%S"),
            str(lock.fencing_token),
        )
    return table


@click.group("locks", invoke_without_command=True)
@api_options
@click.pass_context
def locks(ctx: click.Context, api_url: str, as_json: bool) -> None:
    """List who holds which instrument (the hub's lock bucket)."""
    if ctx.invoked_subcommand is not None:
        return
    with _store(api_url) as store:
        found = store.locks()
    _show(as_json, found, lambda: _locks_table(found))


@locks.command("release")
@click.argument("key")
@click.option("--force", is_flag=True, help="Required: this breaks another holder's lock.")
@click.option("--by", default=None, help="Who breaks it (recorded); default user@host.")
@api_options
def release(key: str, force: bool, by: str | None, api_url: str, as_json: bool) -> None:
    """Break the lock KEY whoever holds it; recorded as lock.released with who broke it."""
    if not force:
        raise click.UsageError(f"releasing {key!r} breaks another holder's lock: add --force")
    who = by or f"{getpass.getuser()}@{socket.gethostname()}"
    with _store(api_url) as store:
        broken = store.release_lock(key, who)
    _show(
        as_json,
        broken,
        lambda: (
            f"broke {key!r} held by station {broken.station_id!r} "
            f"(pid {broken.pid} on {broken.host}); recorded as broken by {who!r}"
        ),
    )

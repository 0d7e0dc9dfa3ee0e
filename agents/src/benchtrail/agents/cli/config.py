"""``benchtrail config``: show and check the station configuration files.

``config show`` prints the merged configuration of a station and where each value came
from (a file and line, an environment variable, or the default); ``config check``
validates every station of the files found. A bad file ends either command with one
line on stderr naming the file and key, and exit status 1.
"""

from __future__ import annotations

import click
import msgspec
from rich.console import Console
from rich.table import Table

from benchtrail.agents.config import (
    ResolvedConfig,
    check_config_files,
    load_station_config,
)
from benchtrail.agents.config_files import flatten
from benchtrail.agents.errors import ConfigError

_STATION_HELP = "Station id (default: $BENCHTRAIL_STATION, or the only one defined)."


@click.group("config")
def config() -> None:
    """Show or check the station configuration files."""


@config.command("show")
@click.option("--station", "station_id", default=None, help=_STATION_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def show(station_id: str | None, as_json: bool) -> None:
    """Print a station's merged configuration and where each value came from."""
    try:
        resolved = load_station_config(station_id)
    except ConfigError as e:
        raise click.ClickException(str(e)) from e
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(resolved), indent=2).decode())
    else:
        Console().print(_sources_table(resolved))


@config.command("check")
@click.option("--station", "station_id", default=None, help=_STATION_HELP)
def check(station_id: str | None) -> None:
    """Validate the configuration files (and a station's merged settings, with --station)."""
    try:
        files = check_config_files()
        if station_id is not None:
            load_station_config(station_id)
    except ConfigError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"ok: {', '.join(files) if files else 'no configuration file found'}")


def _sources_table(resolved: ResolvedConfig) -> Table:
    """Key, value and source of every setting of the station."""
    files = ", ".join(resolved.files) or "no configuration file"
    table = Table(title=f"station {resolved.station.id} ({files})", title_justify="left")
    for column in ("key", "value", "source"):
        table.add_column(column, overflow="fold")
    values = flatten(msgspec.to_builtins(resolved.station))
    for key, value in values.items():
        table.add_row(key, str(value), resolved.sources.get(key, "default"))
    return table

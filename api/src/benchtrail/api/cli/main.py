"""The ``benchtrail`` command line: the click group ``main`` that every command joins.

The read commands (:mod:`benchtrail.api.cli.read`) are added eagerly: they
need only the HTTP client. Commands that load the hub (``up``: nats-server,
projector, warehouse, web server) are listed in :data:`LAZY_COMMANDS` and
imported only when run, so ``benchtrail sessions`` starts in about a second.
To add a command, add it to ``LAZY_COMMANDS`` (``"name": ("module:attribute", "help")``)
or call ``main.add_command(command)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import click

from benchtrail.api.cli.locks import locks
from benchtrail.api.cli.read import READ_COMMANDS

LAZY_COMMANDS: Mapping[str, tuple[str, str]] = {
    "config": (
        "benchtrail.api.cli.config:config",
        "Show or check the station configuration files.",
    ),
    "data": (
        "benchtrail.api.cli.data:data",
        "Manage the hub's recorded data: prune old days (retention).",
    ),
    "dead-letters": (
        "benchtrail.api.cli.deadletters:dead_letters",
        "List, show and retry what the projector could not use (BT_DEAD).",
    ),
    "export": (
        "benchtrail.api.cli.export:export",
        "Write runs, sessions or measurements to a Parquet, CSV or Arrow file.",
    ),
    "health": (
        "benchtrail.api.cli.health:health",
        "Show ingest health: lag, last ingest, dead letters, per-session seq gaps.",
    ),
    "mcp": (
        "benchtrail.api.cli.mcp:mcp",
        "Serve the MCP tools over stdio, answering from a benchtrail API.",
    ),
    "outbox": (
        "benchtrail.api.cli.outbox:outbox",
        "Show or deliver what station outboxes hold for the hub (status, flush).",
    ),
    "replay": (
        "benchtrail.api.cli.replay:replay_command",
        "Rebuild a warehouse from the hub's stream (--into DIR) and verify its checksums.",
    ),
    "up": (
        "benchtrail.api.cli.up:up",
        "Start nats-server, the projector and the API on this machine.",
    ),
}
"""Command name → (``module:attribute``, short help) of a command imported when used."""


class LazyGroup(click.Group):
    """A click group that imports some of its commands only when they are used."""

    def __init__(
        self, *args: object, lazy_commands: Mapping[str, tuple[str, str]], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy_commands = dict(lazy_commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, the lazy ones included."""
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The named command, imported now if it is a lazy one."""
        if cmd_name not in self.lazy_commands:
            return super().get_command(ctx, cmd_name)
        target = self.lazy_commands[cmd_name][0]
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target!r} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands in ``--help`` without importing the lazy ones."""
        width = formatter.width - 6 - max(map(len, self.list_commands(ctx)), default=0)
        rows = [
            (name, command.get_short_help_str(width))
            for name, command in self.commands.items()
            if not command.hidden
        ]
        rows += [(name, short_help) for name, (_, short_help) in self.lazy_commands.items()]
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows))


@click.group(
    cls=LazyGroup,
    lazy_commands=LAZY_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="benchtrail-api", prog_name="benchtrail")
def main() -> None:
    """benchtrail: record test-station events, and read them back from the hub."""


for _command in READ_COMMANDS:
    main.add_command(_command)
main.add_command(locks)

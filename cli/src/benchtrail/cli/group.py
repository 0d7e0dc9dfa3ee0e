"""The ``benchtrail`` root group: one subcommand per entry point of ``benchtrail.commands``.

Each installed benchtrail distribution registers its subcommands (``outbox`` and
``config`` from ``benchtrail-agents``; ``sessions``, ``up``... from
``benchtrail-api``), so a station PC and an analyst's laptop run the same
``benchtrail`` with the commands their install can serve. A command's code is
imported only when it runs or shows its own help.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib.metadata import (
    Distribution,
    EntryPoint,
    PackageNotFoundError,
    distribution,
    entry_points,
)

import click

from benchtrail.cli.errors import CommandConflict, MissingExtra
from benchtrail.cli.lazy import LazyCommand

ENTRY_POINT_GROUP = "benchtrail.commands"
"""The entry-point group a distribution registers its ``benchtrail`` subcommands in."""

_REQUIREMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class CommandGroup(click.Group):
    """A click group whose subcommands are the entry points of one group."""

    def __init__(
        self, *args: object, entry_point_group: str = ENTRY_POINT_GROUP, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.entry_point_group = entry_point_group
        self._registered: dict[str, list[EntryPoint]] | None = None

    def registered(self) -> Mapping[str, list[EntryPoint]]:
        """Subcommand name → its entry points (more than one is a conflict)."""
        if self._registered is None:
            found: dict[str, list[EntryPoint]] = {}
            for entry_point in entry_points(group=self.entry_point_group):
                same_name = found.setdefault(entry_point.name, [])
                if _provider(entry_point) not in map(_provider, same_name):
                    same_name.append(entry_point)
            self._registered = found
        return self._registered

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every subcommand name, from the installed distributions."""
        return sorted({*super().list_commands(ctx), *self.registered()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The named subcommand, imported now.

        Raises:
            CommandConflict: two distributions register this name.
            MissingExtra: the command needs an extra that is not installed.
        """
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        found = self.registered().get(cmd_name)
        if not found:
            return None
        if len(found) > 1:
            raise CommandConflict(cmd_name, [_provider(ep) for ep in found])
        return _load(found[0])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the subcommands in ``--help`` without importing their code."""
        rows = [(name, self._short_help(name)) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def _short_help(self, name: str) -> str:
        """The line ``--help`` shows for one subcommand."""
        if name in self.commands:
            return self.commands[name].get_short_help_str()
        found = self.registered()[name]
        if len(found) > 1:
            return f"(registered by {' and '.join(map(_provider, found))}: a conflict)"
        try:
            registered = found[0].load()
        except ImportError as e:
            return f"(cannot be loaded: {e})"
        if isinstance(registered, click.Command):
            return registered.get_short_help_str()
        if not isinstance(registered, LazyCommand):
            return f"(not a command: {found[0].value})"
        if registered.extra and _missing_requirements(found[0].dist, registered.extra):
            requirement = f"{_provider(found[0])}[{registered.extra}]"
            return f"{registered.short_help} (needs {requirement})"
        return registered.short_help


def _load(entry_point: EntryPoint) -> click.Command:
    """The click command an entry point registers, imported now."""
    registered = entry_point.load()
    if isinstance(registered, click.Command):
        return registered
    if not isinstance(registered, LazyCommand):
        raise TypeError(f"entry point {entry_point.value!r} is neither a command nor a LazyCommand")
    try:
        return registered.load()
    except ModuleNotFoundError as e:
        extra = registered.extra
        if extra is None or not _missing_requirements(entry_point.dist, extra):
            raise
        requirement = f"{_provider(entry_point)}[{extra}]"
        raise MissingExtra(entry_point.name, requirement, e.name) from e


def _provider(entry_point: EntryPoint) -> str:
    """The name of the distribution that registers an entry point."""
    return entry_point.dist.name if entry_point.dist is not None else entry_point.value


def _missing_requirements(provider: Distribution | None, extra: str) -> list[str]:
    """The requirements of ``provider[extra]`` that are not installed."""
    if provider is None:
        return []
    marker = re.compile(rf"""extra\s*==\s*["']{re.escape(extra)}["']""")
    missing = []
    for requirement in provider.requires or []:
        name = _REQUIREMENT_NAME.match(requirement)
        if name is None or not marker.search(requirement):
            continue
        try:
            distribution(name.group())
        except PackageNotFoundError:
            missing.append(name.group())
    return missing


@click.group(
    cls=CommandGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="benchtrail-cli", prog_name="benchtrail")
def main() -> None:
    """benchtrail: record test-station events, and read them back from the hub."""

"""The ``benchtrail`` command, whose subcommands come from the installed distributions.

A distribution adds a subcommand by registering an entry point in the group
``benchtrail.commands``: its name is the subcommand's, its object a
:class:`LazyCommand` (imported on use) or a click command. A station PC with
``benchtrail-agents`` gets ``outbox`` and ``config``; ``benchtrail-api`` adds the
read commands, and ``up`` with its ``[hub]`` extra.
"""

from benchtrail.cli.errors import CliError, CommandConflict, MissingExtra
from benchtrail.cli.group import ENTRY_POINT_GROUP, CommandGroup, main
from benchtrail.cli.lazy import LazyCommand

__all__ = [
    "ENTRY_POINT_GROUP",
    "CliError",
    "CommandConflict",
    "CommandGroup",
    "LazyCommand",
    "MissingExtra",
    "main",
]

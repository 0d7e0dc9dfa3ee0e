"""``LazyCommand``: a subcommand named and described without importing its code."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """A click command imported only when it runs or shows its own help.

    ``benchtrail --help`` lists it with ``short_help``, so a command that loads a
    web server or a warehouse costs nothing until it is used.

    Attributes:
        target: ``"module:attribute"`` of the click command.
        short_help: the one line ``benchtrail --help`` shows for it.
        extra: the optional dependencies (extra) of its distribution it needs, if any;
            named in the error when one of them is not installed.
    """

    target: str
    short_help: str
    extra: str | None = None

    def load(self) -> click.Command:
        """Import the command.

        Raises:
            ModuleNotFoundError: a module it imports is not installed.
            TypeError: ``target`` is not a click command.
        """
        module_name, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target!r} is not a click command")
        return command

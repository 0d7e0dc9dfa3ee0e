"""Errors of the ``benchtrail`` command; click prints each as one line and exits 1."""

from __future__ import annotations

from collections.abc import Sequence

import click


class CliError(click.ClickException):
    """Base class of the errors the ``benchtrail`` command reports on purpose."""


class CommandConflict(CliError):
    """Two installed distributions register the same subcommand name.

    Attributes:
        name: the subcommand.
        distributions: the distributions that register it.
    """

    def __init__(self, name: str, distributions: Sequence[str]) -> None:
        self.name = name
        self.distributions = tuple(distributions)
        super().__init__(
            f"'benchtrail {name}' is registered by {' and '.join(self.distributions)}: "
            "uninstall all but one of them"
        )


class MissingExtra(CliError):
    """A subcommand needs an optional part of its distribution that is not installed.

    Attributes:
        name: the subcommand.
        requirement: what to install, e.g. ``benchtrail-api[hub]``.
        module: the module that could not be imported.
    """

    def __init__(self, name: str, requirement: str, module: str | None) -> None:
        self.name = name
        self.requirement = requirement
        self.module = module
        missing = f" ({module!r} is not installed)" if module else ""
        super().__init__(
            f"'benchtrail {name}' needs {requirement}{missing}: pip install \"{requirement}\""
        )

"""Options of the commands that manage a hub's tokens and stations: here or elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from benchtrail.api.models.access import TOKEN_ENV

F = TypeVar("F", bound=Callable[..., object])


def hub_admin_options(what: str) -> Callable[[F], F]:
    """``--data-dir`` (on the hub's machine), or ``--api`` with an admin ``--token`` (elsewhere).

    Args:
        what: what the command manages, for the help text (``tokens``, ``stations``).
    """

    def add(command: F) -> F:
        options = [
            click.option(
                "--data-dir",
                default=".benchtrail",
                show_default=True,
                help="The hub's data directory (as given to benchtrail up), on its machine.",
            ),
            click.option(
                "--api",
                "api_url",
                help=f"Manage the {what} of the hub at this URL instead (needs an admin token).",
            ),
            click.option("--token", envvar=TOKEN_ENV, help="Admin token, with --api."),
        ]
        for option in reversed(options):
            command = option(command)
        return command

    return add

"""``benchtrail token create|list|revoke``: the API tokens of a hub.

On the hub's machine the commands edit ``<data-dir>/auth/tokens.json`` directly
(``--data-dir``, the default of ``benchtrail up``) and need no token; from
elsewhere, ``--api URL`` with an admin ``--token`` goes through
``/api/admin/tokens``. A new token is printed once, as the last line of output.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import click
from rich.table import Table

from benchtrail.api.cli.hub_admin import hub_admin_options
from benchtrail.api.cli.render import output_console
from benchtrail.api.client.tokens import TokenClient
from benchtrail.api.errors import ApiError
from benchtrail.api.hub.access import TokenStore, token_store
from benchtrail.api.models.access import ROLES, IssuedToken, Role, TokenView

Tokens = TokenStore | TokenClient


_where = hub_admin_options("tokens")


@contextmanager
def _tokens(data_dir: str, api_url: str | None, token: str | None) -> Iterator[Tokens]:
    try:
        if api_url is None:
            yield token_store(data_dir)
            return
        with TokenClient(api_url, token=token) as client:
            yield client
    except ApiError as e:
        raise click.ClickException(str(e)) from e


@click.group("token")
def token() -> None:
    """Create, list and revoke the API tokens of a hub (roles: viewer, operator, admin)."""


@token.command("create")
@click.option("--name", required=True, help="Who or what uses it, e.g. wall-display.")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@_where
def create(name: str, role: str, data_dir: str, api_url: str | None, token: str | None) -> None:
    """Create a token and print it once, as the last line (the hub keeps only its hash)."""
    with _tokens(data_dir, api_url, token) as tokens:
        issued: IssuedToken = tokens.create(name, cast(Role, role))
    info = issued.info
    click.echo(f"Created {info.role} token {info.name!r} (id {info.id}). It is shown only now:")
    click.echo(issued.token)


@token.command("list")
@_where
def list_tokens(data_dir: str, api_url: str | None, token: str | None) -> None:
    """List the tokens: id, name, role, created, revoked (never the tokens themselves)."""
    with _tokens(data_dir, api_url, token) as tokens:
        views = tokens.views() if isinstance(tokens, TokenStore) else tokens.tokens()
    output_console().print(_table(views))


@token.command("revoke")
@click.argument("id_or_name")
@_where
def revoke(id_or_name: str, data_dir: str, api_url: str | None, token: str | None) -> None:
    """Revoke a token by id or name: its requests and dashboard sessions end at once."""
    with _tokens(data_dir, api_url, token) as tokens:
        view = tokens.revoke(id_or_name)
    click.echo(f"Revoked {view.role} token {view.name!r} (id {view.id}).")


def _table(views: list[TokenView]) -> Table:
    table = Table("id", "name", "role", "created", "revoked")
    for view in views:
        table.add_row(view.id, view.name, view.role, view.created_at, view.revoked_at or "")
    return table

"""``benchtrail mcp``: the MCP server over stdio, answering from a benchtrail API."""

from __future__ import annotations

import anyio
import click
import httpx

from benchtrail.api.client.base import DEFAULT_URL
from benchtrail.api.mcp.server import ApiCaller, build_server
from benchtrail.api.models.access import TOKEN_ENV


@click.command()
@click.option(
    "--api",
    envvar="BENCHTRAIL_API",
    default=DEFAULT_URL,
    show_default=True,
    help="Base URL of the benchtrail API the tools read from.",
)
@click.option(
    "--token",
    envvar=TOKEN_ENV,
    help="A viewer token, for an API with tokens (env BENCHTRAIL_TOKEN).",
)
def mcp(api: str, token: str | None) -> None:
    """Serve benchtrail's MCP tools on stdin/stdout (for a desktop assistant)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def serve() -> None:
        async with httpx.AsyncClient(base_url=api.rstrip("/"), timeout=60, headers=headers) as http:
            await build_server(ApiCaller(http)).run_stdio_async()

    anyio.run(serve)

"""``benchtrail mcp``: the MCP server over stdio, answering from a benchtrail API."""

from __future__ import annotations

import anyio
import click
import httpx

from benchtrail.api.client.base import DEFAULT_URL
from benchtrail.api.mcp.server import ApiCaller, build_server


@click.command()
@click.option(
    "--api",
    envvar="BENCHTRAIL_API",
    default=DEFAULT_URL,
    show_default=True,
    help="Base URL of the benchtrail API the tools read from.",
)
def mcp(api: str) -> None:
    """Serve benchtrail's MCP tools on stdin/stdout (for a desktop assistant)."""

    async def serve() -> None:
        async with httpx.AsyncClient(base_url=api.rstrip("/"), timeout=60) as http:
            await build_server(ApiCaller(http)).run_stdio_async()

    anyio.run(serve)

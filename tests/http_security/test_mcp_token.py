"""``benchtrail mcp --token``: the stdio MCP server reads a hub with tokens."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from benchtrail.api.hub.access import token_store
from benchtrail.api.hub.embedded import Hub


def _list_sessions(hub: Hub, *token: str) -> tuple[bool, str]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "benchtrail.api", "mcp", "--api", hub.api_url, *token],
        env={},  # no BENCHTRAIL_TOKEN from the test's environment
    )

    async def ask() -> tuple[bool, str]:
        async with Client(params) as client:
            result = await client.call_tool("list_sessions", {})
            return result.is_error, str(result.content[0].text)  # type: ignore[union-attr]

    return asyncio.run(ask())


def test_the_stdio_server_needs_and_uses_a_token(
    start_hub: Callable[..., AbstractContextManager[Hub]],
) -> None:
    with start_hub(auth=True) as hub:
        viewer = token_store(hub.data_dir).create("assistant", "viewer").token
        failed, text = _list_sessions(hub)
        assert failed
        assert "HTTP 401" in text and "--token" in text
        failed, text = _list_sessions(hub, "--token", viewer)
        assert not failed, text
        assert '"items"' in text

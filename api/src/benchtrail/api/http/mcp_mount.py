"""``/mcp``: the MCP server mounted in the API (streamable HTTP), answering in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar import Litestar, asgi
from litestar.handlers import ASGIRouteHandler
from litestar.types import Receive, Scope, Send

from benchtrail.api.http.security.middleware import INTERNAL_HEADER
from benchtrail.api.mcp.server import ApiCaller, build_server


class McpMount:
    """The MCP server, its ``/mcp`` route handler and the lifespan that runs its sessions.

    The tools call the API through an ASGI transport to the very app they are mounted
    in (set :attr:`app` once it is built), so answers never leave the process. Those
    calls carry ``internal_secret`` (made per app): the API takes them as the read-only
    MCP identity, while ``/mcp`` itself needs a viewer token.
    """

    def __init__(self, internal_secret: str) -> None:
        self.app: Litestar | None = None
        self._http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self._call_api),
            base_url="http://localhost",
            headers={INTERNAL_HEADER: internal_secret},
        )
        self.server = build_server(ApiCaller(self._http))
        self._asgi = self.server.streamable_http_app(streamable_http_path="/")

    async def _call_api(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.app is not None, "McpMount.app is set by create_app"
        await self.app(scope, receive, send)

    def route(self) -> ASGIRouteHandler:
        """The ``/mcp`` mount: every request under it goes to the MCP server."""

        @asgi("/mcp", is_mount=True, copy_scope=True)
        async def mcp(scope: Scope, receive: Receive, send: Send) -> None:
            await self._asgi(scope, receive, send)  # type: ignore[arg-type]

        return mcp

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        """Run the MCP session manager while the API serves."""
        async with self.server.session_manager.run():
            try:
                yield
            finally:
                await self._http.aclose()

"""MCP tools over the benchtrail HTTP API, for the app's ``/mcp`` mount and ``benchtrail mcp``.

Needs the ``mcp`` package (which pulls starlette and uvicorn), so the light client never imports it.
"""

from benchtrail.api.mcp.server import ApiCaller, build_server

__all__ = ["ApiCaller", "build_server"]

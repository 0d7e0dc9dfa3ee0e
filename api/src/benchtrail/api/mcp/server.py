"""benchtrail's MCP server: tools over the read API for assistants and agents.

Every tool is a thin wrapper over one HTTP endpoint, so the answers are the API's
(same filters, same errors). Two ways to run it:

- mounted in the API at ``/mcp`` (streamable HTTP): the tools call the API in-process
  through an ASGI transport, no network hop;
- ``benchtrail mcp --api URL`` (stdio), for a desktop assistant: the tools call the
  API over HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

INSTRUCTIONS = """\
benchtrail records what a fleet of lab and factory test stations does. A station
session (connect to disconnect) holds runs; a run tests one DUT (serial number) and
holds steps and measurements with limits and verdicts. Use list_sessions / list_runs
to find things, get_session / get_run / session_events for detail, dut_history for
everything a serial went through, yield_summary and capability for analytics."""

Params = Mapping[str, str | int | None]


class ApiCaller:
    """GETs the benchtrail API and turns its error answers into tool errors."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def get(self, path: str, params: Params | None = None) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        try:
            response = await self.http.get(path, params=query)
        except httpx.HTTPError as e:
            raise ToolError(f"the benchtrail API cannot be reached: {e}") from e
        body = response.json() if response.content else None
        if response.is_success:
            return body
        detail = body.get("detail") if isinstance(body, dict) else response.text[:300]
        if response.status_code == 401:
            detail = f"{detail}; give the MCP server a viewer token (--token or BENCHTRAIL_TOKEN)"
        raise ToolError(f"HTTP {response.status_code}: {detail}")


def build_server(caller: ApiCaller) -> MCPServer:
    """The MCP server with benchtrail's tools, answering through ``caller``."""
    server = MCPServer("benchtrail", instructions=INSTRUCTIONS)

    @server.tool()
    async def list_sessions(
        station_id: str = "", operator: str = "", since: str = "", limit: int = 20
    ) -> dict[str, Any]:
        """Station sessions, newest first. ``since`` is ISO-8601 time or ns since the epoch."""
        params: Params = {
            "station_id": station_id,
            "operator_id": operator,
            "since": since,
            "limit": limit,
        }
        return _object(await caller.get("/api/sessions", params))

    @server.tool()
    async def get_session(session_id: str) -> dict[str, Any]:
        """One session: station, operator, git, environment, and its runs."""
        return _object(await caller.get(f"/api/sessions/{session_id}"))

    @server.tool()
    async def session_events(
        session_id: str, event_type: str = "", after_seq: int = 0, limit: int = 100
    ) -> dict[str, Any]:
        """A session's events in order, optionally of one type (e.g. ``run.started``, ``log``)."""
        params: Params = {"event_type": event_type, "after_seq": after_seq, "limit": limit}
        return _object(await caller.get(f"/api/sessions/{session_id}/events", params))

    @server.tool()
    async def list_runs(
        station_id: str = "",
        dut_serial: str = "",
        outcome: str = "",
        since: str = "",
        limit: int = 20,
    ) -> dict[str, Any]:
        """DUT runs, newest first, with outcome (passed, failed, error, aborted, running)."""
        params: Params = {
            "station_id": station_id,
            "dut_serial": dut_serial,
            "outcome": outcome,
            "since": since,
            "limit": limit,
        }
        return _object(await caller.get("/api/runs", params))

    @server.tool()
    async def get_run(run_id: str, measurement_limit: int = 200) -> dict[str, Any]:
        """One run: DUT, verdict, steps and its first measurements with limits and verdicts."""
        params: Params = {"measurement_limit": measurement_limit}
        return _object(await caller.get(f"/api/runs/{run_id}", params))

    @server.tool()
    async def dut_history(serial: str) -> dict[str, Any]:
        """Every run of a DUT serial across stations, with retests and failed measurements."""
        return _object(await caller.get(f"/api/duts/{serial}"))

    @server.tool()
    async def yield_summary(
        group_by: str = "station", since: str = "", until: str = "", station_id: str = ""
    ) -> dict[str, Any]:
        """Yield and first-pass yield grouped by station, product, test_phase, fixture or day."""
        params: Params = {
            "group_by": group_by,
            "since": since,
            "until": until,
            "station_id": station_id,
        }
        return _object(await caller.get("/api/analytics/yield", params))

    @server.tool()
    async def capability(
        name: str, station_id: str = "", since: str = "", until: str = ""
    ) -> dict[str, Any]:
        """Process capability of a measurement: n, mean, sigma, Cp, Cpk, Pp, Ppk."""
        params: Params = {"name": name, "station_id": station_id, "since": since, "until": until}
        return _object(await caller.get("/api/analytics/capability", params))

    return server


def _object(body: Any) -> dict[str, Any]:
    """A tool's structured result: the API's object, or its list as ``items``."""
    return dict(body) if isinstance(body, dict) else {"items": body}

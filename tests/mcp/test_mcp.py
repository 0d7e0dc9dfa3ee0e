"""The MCP server, through the SDK's own client: mounted at /mcp, and over stdio."""

from __future__ import annotations

import asyncio
import sys

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from benchtrail.agents import connect
from benchtrail.api.hub.embedded import Hub


def _record(hub: Hub) -> tuple[str, str]:
    with connect("cell-7", hub=hub.nats.url, operator="alice") as station:
        with station.run(dut_serial="SN-42", part_number="PWR-5V") as run:
            run.measure("vout", 5.3, unit="V", low=4.9, high=5.1)
        ids = station.session_id, run.run_id
    hub.wait_ingested()
    return ids


def test_tools_over_streamable_http_answer_from_the_warehouse(running_hub: Hub):
    session_id, run_id = _record(running_hub)

    async def ask() -> dict[str, object]:
        async with Client(f"{running_hub.api_url}/mcp/") as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            sessions = await client.call_tool("list_sessions", {"station_id": "cell-7"})
            run = await client.call_tool("get_run", {"run_id": run_id})
            events = await client.call_tool(
                "session_events", {"session_id": session_id, "event_type": "run.started"}
            )
            missing = await client.call_tool("get_run", {"run_id": "no-such-run"})
            dut = await client.call_tool("dut_history", {"serial": "SN-42"})
            yields = await client.call_tool("yield_summary", {"group_by": "station"})
            cpk = await client.call_tool("capability", {"name": "vout"})
            return {
                "tools": tools,
                "sessions": sessions.structured_content,
                "run": run.structured_content,
                "events": events.structured_content,
                "missing": (missing.is_error, missing.content[0].text),  # type: ignore[union-attr]
                "dut": dut.structured_content,
                "yield": yields.structured_content,
                "cpk": (cpk.is_error, cpk.structured_content),
            }

    answers = asyncio.run(ask())
    assert {"list_sessions", "get_session", "session_events", "list_runs", "get_run"} <= answers[
        "tools"
    ]  # type: ignore[operator]
    sessions = answers["sessions"]
    assert [s["session_id"] for s in sessions["items"]] == [session_id]  # type: ignore[index]
    run = answers["run"]
    assert (run["dut_serial"], run["outcome"]) == ("SN-42", "failed")  # type: ignore[index]
    assert run["measurements"][0]["name"] == "vout"  # type: ignore[index]
    events = answers["events"]["items"]  # type: ignore[index]
    assert [e["type"] for e in events] == ["run.started"]
    is_error, text = answers["missing"]  # type: ignore[misc]
    assert is_error and "run 'no-such-run' not found" in text
    dut = answers["dut"]
    assert [r["run_id"] for r in dut["runs"]] == [run_id]  # type: ignore[index]
    assert dut["runs"][0]["failed_measurements"][0]["name"] == "vout"  # type: ignore[index]
    assert "cell-7" in str(answers["yield"])
    cpk_error, cpk = answers["cpk"]  # type: ignore[misc]
    assert not cpk_error and "vout" in str(cpk)


def test_tools_over_stdio_call_the_api(running_hub: Hub):
    _, run_id = _record(running_hub)
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "benchtrail.api", "mcp", "--api", running_hub.api_url],
    )

    async def ask() -> dict[str, object]:
        async with Client(params) as client:
            result = await client.call_tool("list_runs", {"dut_serial": "SN-42"})
            return result.structured_content or {}

    runs = asyncio.run(ask())
    assert [r["run_id"] for r in runs["items"]] == [run_id]  # type: ignore[index]

"""A whole session lands in every table with its field values intact (chDB and a server)."""

from __future__ import annotations

import asyncio
import json
import math
import os
import socket
from urllib.parse import urlparse

import nats
import pytest

from benchtrail.projector import Projector, ProjectorSettings, Warehouse, open_warehouse

EVENT_TYPES = [
    "session.started",
    "run.started",
    "step.started",
    "measurement",
    "measurement",
    "measurement.batch",
    "step.ended",
    "run.ended",
    "session.ended",
]


async def project_full_session(
    warehouse: Warehouse, hub_url: str, session, publish, settings: ProjectorSettings
) -> list[int]:
    """Publish a whole session in three frames through a running projector."""
    events = session.full_run()
    async with Projector(warehouse, hub_url, settings=settings) as projector:
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        seqs = [
            await publish(js, events[:3]),
            await publish(js, events[3:7]),
            await publish(js, events[7:]),
        ]
        await projector.wait_until_ingested(seqs[-1], timeout=5)
        await nc.close()
    return seqs


def session_rows(warehouse: Warehouse, table: str, session, order_by: str = "tuple()"):
    sql = (
        f"SELECT * FROM {warehouse.database}.{table} FINAL "
        f"WHERE session_id = {{sid:String}} ORDER BY {order_by}"
    )
    return warehouse.rows(sql, {"sid": session.session_id})


def picked(row: dict, expected: dict) -> dict:
    """The columns of ``row`` named in ``expected``, lists and maps made plain."""
    plain = {list: list, tuple: list, dict: dict}
    return {k: plain.get(type(row[k]), lambda v: v)(row[k]) for k in expected}


def assert_session_landed(warehouse: Warehouse, session, seqs: list[int]) -> None:
    assert warehouse.table_counts() == {
        "events": 6,
        "measurement_events": 3,
        "sessions": 1,
        "session_ends": 1,
        "runs": 1,
        "run_ends": 1,
        "steps": 2,
        "instrument_calls": 0,
        "locks": 0,
        "measurements": 5,
        "run_points": 1,
        "measurement_tables": 0,
        "files": 0,
        "windows": 0,
        "window_devices": 0,
        "window_files": 0,
        "attachments": 0,
        "logs": 0,
    }

    raw = session_rows(warehouse, "events", session, "seq")
    assert [e["type"] for e in raw] == [t for t in EVENT_TYPES if not t.startswith("measurement")]
    measured = session_rows(warehouse, "measurement_events", session, "seq")
    events = sorted(raw + measured, key=lambda e: e["seq"])
    assert [e["type"] for e in events] == EVENT_TYPES
    assert [e["seq"] for e in events] == list(range(1, 10))
    assert [e["stream_seq"] for e in events] == [seqs[0]] * 3 + [seqs[1]] * 4 + [seqs[2]] * 2
    assert {e["station_id"] for e in events} == {"cell-7"}

    [started] = session_rows(warehouse, "sessions", session)
    expected = {
        "station_id": "cell-7",
        "station_name": "Cell 7",
        "station_type": "ict",
        "station_location": "Line 2",
        "hostname": "pc-7",
        "session_type": "pytest",
        "pid": 4242,
        "client_name": "pytest",
        "client_version": "8.3",
        "operator_id": "op-1",
        "operator_name": "Ada Lovelace",
        "fixture_id": "fx-1",
        "slot_count": 4,
        "device_ids": ["dmm-1", "psu-2"],
        "git_commit": "abc123",
        "git_branch": "main",
        "git_remote": "git@lab:eol",
        "git_dirty": True,
        "python_version": "3.11.7",
        "packages": {"numpy": "2.1.0"},
    }
    assert picked(started, expected) == expected

    [run] = session_rows(warehouse, "runs", session)
    expected = {
        "run_id": session.run_id,
        "dut_serial": "SN-0001",
        "dut_part_number": "PN-9",
        "dut_revision": "B",
        "dut_lot_number": "L42",
        "product_id": "widget",
        "product_name": "Widget",
        "product_revision": "3",
        "slot_id": "slot-2",
        "slot_index": 2,
        "fixture_id": "fx-1",
        "test_phase": "EOL",
        "project_name": "widget-eol",
        "channel_refs": ["ch1", "ch2"],
    }
    assert picked(run, expected) == expected
    assert json.loads(run["custom_metadata"]) == {"temp_c": 23.5, "shift": "night"}

    [run_end] = session_rows(warehouse, "run_ends", session)
    expected = {
        "run_id": session.run_id,
        "outcome": "failed",
        "measurement_count": 5,
        "failed_measurement_count": 1,
        "step_count": 1,
        "duration_ns": 5_000_000,
    }
    assert picked(run_end, expected) == expected

    [session_end] = session_rows(warehouse, "session_ends", session)
    expected = {"run_count": 1, "event_count": 9, "reason": "done"}
    assert picked(session_end, expected) == expected

    steps = session_rows(warehouse, "steps", session, "phase DESC")
    columns = ["phase", "name", "outcome", "duration_ns", "error"]
    assert [[step[c] for c in columns] for step in steps] == [
        ["started", "power-up", "", 0, ""],
        ["ended", "power-up", "failed", 1_000, "ripple too high"],
    ]

    points = session_rows(warehouse, "measurements", session, "name, point_index")
    columns = ["name", "point_index", "value_str", "unit", "low", "high", "outcome", "step"]
    assert [[p[c] for c in columns] for p in points] == [
        ["label", 0, "OK", "", None, None, "unset", ""],
        ["ripple", 0, "", "V", None, 0.1, "passed", ""],
        ["ripple", 1, "", "V", None, 0.1, "passed", ""],
        ["ripple", 2, "", "V", None, 0.1, "failed", ""],
        ["vbus", 0, "", "V", 4.9, 5.1, "passed", "power-up"],
    ]
    assert math.isnan(points[0]["value"])
    assert [p["value"] for p in points[1:]] == [0.01, 0.02, 0.5, 5.02]

    # The frame that carried the points counted them for its run.
    [tally] = session_rows(warehouse, "run_points", session)
    assert picked(tally, {"run_id": 0, "station_id": 0, "points": 0, "failed": 0}) == {
        "run_id": session.run_id,
        "station_id": "cell-7",
        "points": 5,
        "failed": 1,
    }
    assert tally["event_id"] == min(p["event_id"] for p in points)
    assert tally["at"] == min(p["ts"] for p in points)
    assert tally["stream_seq"] == points[0]["stream_seq"]


def test_session_lands_in_every_table(warehouse, hub_url, session, publish, fast_settings):
    seqs = asyncio.run(project_full_session(warehouse, hub_url, session, publish, fast_settings))
    assert_session_landed(warehouse, session, seqs)


def docker_engine_reachable() -> bool:
    """Whether the Docker engine's socket (``DOCKER_HOST`` or the default) accepts a connection."""
    url = urlparse(os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"))
    try:
        if url.scheme == "unix":
            with socket.socket(socket.AF_UNIX) as engine:
                engine.settimeout(2)
                engine.connect(url.path)
        else:
            with socket.create_connection((url.hostname, url.port or 2375), timeout=2):
                pass
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def clickhouse_url():
    """A ClickHouse server in a container, as ``http://user:password@host:port``."""
    if not docker_engine_reachable():
        pytest.skip("no Docker engine on this machine")
    from testcontainers.community.clickhouse import ClickHouseContainer

    with ClickHouseContainer("clickhouse/clickhouse-server:25.8") as server:
        host = server.get_container_host_ip()
        port = server.get_exposed_port(8123)
        yield f"http://{server.username}:{server.password}@{host}:{port}"


@pytest.mark.clickhouse_server
def test_session_lands_in_clickhouse_server(
    clickhouse_url, hub_url, session, publish, fast_settings
):
    warehouse = open_warehouse(clickhouse_url, database="bt_projector_server_test")
    try:
        seqs = asyncio.run(
            project_full_session(warehouse, hub_url, session, publish, fast_settings)
        )
        assert_session_landed(warehouse, session, seqs)
    finally:
        warehouse.command("DROP DATABASE IF EXISTS bt_projector_server_test")
        warehouse.close()

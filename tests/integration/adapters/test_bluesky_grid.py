"""A Bluesky grid scan over two ophyd.sim motors arrives as one dimensioned measurement."""

from __future__ import annotations

from typing import Any

import pytest
from bluesky import RunEngine
from bluesky.plans import grid_scan, scan
from ophyd.sim import det, det4, motor, motor1, motor2

from benchtrail.agents import connect
from benchtrail.agents.adapters.bluesky import BenchtrailCallback
from benchtrail.api import EventStore
from benchtrail.api.hub.embedded import Hub


def test_a_grid_scan_is_a_table_with_motors_first_and_the_documents_values(
    running_hub: Hub, RE: RunEngine, request: pytest.FixtureRequest
):
    documents: list[tuple[str, dict[str, Any]]] = []
    with connect("beamline-2", hub=running_hub.nats.url, session_type="observation") as station:
        callback = BenchtrailCallback(station)
        RE.subscribe(callback)
        RE.subscribe(lambda name, doc: documents.append((name, doc)))
        RE(grid_scan([det4], motor1, -1, 1, 3, motor2, -2, 2, 4), sample="SN-GRID")
        RE(scan([det], motor, -1, 1, 5))  # one motor: left to the batches
        grid_run, line_run = callback.runs.values()
    running_hub.wait_ingested()
    store = EventStore(running_hub.api_url)
    request.addfinalizer(store.close)

    [summary] = store.measurement_tables(grid_run.run_id).items
    assert (summary.name, summary.dimensions, summary.point_count) == ("primary", 2, 12)
    assert [a.name for a in summary.axes] == [
        "motor1",
        "motor2",
        "det4",
        "motor1_setpoint",
        "motor2_setpoint",
    ]
    events = [doc for name, doc in documents if name == "event"][:12]
    table = store.measurement_table(grid_run.run_id, "primary")
    for column in table.columns:
        assert column.values == [float(e["data"][column.name]) for e in events], column.name
    assert store.measurement_tables(line_run.run_id).items == []

"""Dimensioned measurements through a real hub: recorded at the station, read back as tables."""

from __future__ import annotations

import asyncio
import io
import json
import time

import httpx
import nats
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from benchtrail.agents import InvalidMeasurement, connect
from benchtrail.api import EventStore, NotFound
from benchtrail.api.http.routes import measurement_tables as table_routes
from benchtrail.api.hub.embedded import Hub
from benchtrail.schemas import Axis, MeasurementTable, encode_frame, event_subject, new_id

POINTS = 50_000  # three axes: 20,000 points per part, so three parts


def _scope_capture() -> dict[str, tuple[np.ndarray, str]]:
    t = np.arange(POINTS, dtype=np.float64) * 0.5
    return {
        "t": (t, "µs"),
        "CH1": (np.sin(t / 100.0), "V"),
        "CH2": (np.cos(t / 50.0) * 0.25, "V"),
    }


def test_a_dimensioned_measurement_comes_back_as_a_table_in_every_format(
    running_hub: Hub, request: pytest.FixtureRequest
):
    columns = _scope_capture()
    with connect("scope-1", hub=running_hub.nats.url) as station:
        with station.run(dut_serial="SN-SCOPE") as run:
            with run.step("capture"):
                recorded = run.measure_table("capture", columns, dimensions=1, step="capture")
            run.measure_table("iv", {"V": ([1, 2], "V"), "I": ([0.1, 0.2], "A")}, outcome="failed")
            run.measure_table("iv", {"V": ([3], "V"), "I": ([0.3], "A")}, outcome="passed")
        run_id = run.run_id
    running_hub.wait_ingested()
    assert recorded == POINTS
    assert run.failed_measurement_count == 1  # the first "iv" table failed
    store = EventStore(running_hub.api_url)
    request.addfinalizer(store.close)

    listed = store.measurement_tables(run_id).items
    assert [(t.name, t.outcome) for t in listed] == [
        ("capture", "unset"),
        ("iv", "failed"),
        ("iv", "passed"),
    ]
    capture = listed[0]
    assert [(a.name, a.unit) for a in capture.axes] == [("t", "µs"), ("CH1", "V"), ("CH2", "V")]
    assert (capture.point_count, capture.points_received, capture.dimensions) == (POINTS,) * 2 + (
        1,
    )
    assert capture.step == "capture"

    # JSON: column by column, every value exact and in order across the three parts.
    table = store.measurement_table(run_id, "capture")
    assert [(c.name, c.unit) for c in table.columns] == [("t", "µs"), ("CH1", "V"), ("CH2", "V")]
    for column in table.columns:
        assert column.values == columns[column.name][0].tolist()

    # Arrow: the axis names as columns, each unit in its field's metadata.
    arrow = store.measurement_table_arrow(run_id, "capture")
    assert arrow.column_names == ["t", "CH1", "CH2"]
    assert [arrow.schema.field(n).metadata[b"unit"].decode() for n in arrow.column_names] == [
        "µs",
        "V",
        "V",
    ]
    assert arrow.schema.metadata[b"dimensions"] == b"1"
    assert np.array_equal(arrow.column("CH2").to_numpy(), columns["CH2"][0])

    # CSV: a header row of axis names, units in X-Axis-Units.
    response = httpx.get(f"{running_hub.api_url}/api/runs/{run_id}/tables/capture?format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert json.loads(response.headers["X-Axis-Units"]) == ["µs", "V", "V"]
    csv = pa_csv.read_csv(io.BytesIO(response.content))
    assert csv.column_names == ["t", "CH1", "CH2"]
    assert csv.num_rows == POINTS

    # The same name twice: the last one unless table_id picks another.
    assert [c.values for c in store.measurement_table(run_id, "iv").columns] == [[3.0], [0.3]]
    first = store.measurement_table(run_id, "iv", table_id=listed[1].table_id)
    assert [c.values for c in first.columns] == [[1.0, 2.0], [0.1, 0.2]]
    assert first.summary.outcome == "failed"

    with pytest.raises(NotFound, match="dimensioned measurement"):
        store.measurement_table(run_id, "no-such-table")
    assert store.measurement_tables("no-such-run").items == []


def test_bounds_are_refused_at_the_call_and_nothing_is_recorded(
    running_hub: Hub, request: pytest.FixtureRequest
):
    with connect("scope-1", hub=running_hub.nats.url) as station:
        with station.run(dut_serial="SN-BOUNDS") as run:
            with pytest.raises(InvalidMeasurement, match="axes of different lengths"):
                run.measure_table("iv", {"V": [1.0, 2.0], "I": [0.1]})
            with pytest.raises(InvalidMeasurement, match="at most 32 are allowed"):
                run.measure_table("wide", {f"a{i}": [1.0] for i in range(33)})
            with pytest.raises(InvalidMeasurement, match="longer than 256"):
                run.measure_table("n" * 257, {"V": [1.0]})
            run.measure_table("kept", {"V": [1.0]})
        run_id = run.run_id
    running_hub.wait_ingested()
    store = EventStore(running_hub.api_url)
    request.addfinalizer(store.close)
    assert [t.name for t in store.measurement_tables(run_id).items] == ["kept"]
    assert run.measurement_count == 1


def test_a_table_arrow_stream_reads_without_the_client(running_hub: Hub):
    with connect("scope-1", hub=running_hub.nats.url) as station:
        with station.run() as run:
            run.measure_table("sweep", {"f": ([1e3, 1e4], "Hz"), "gain": ([0.5, 0.25], "dB")})
        run_id = run.run_id
    running_hub.wait_ingested()
    response = httpx.get(
        f"{running_hub.api_url}/api/runs/{run_id}/tables/sweep",
        headers={"Accept": "application/vnd.apache.arrow.stream"},
    )
    table = pa.ipc.open_stream(response.content).read_all()
    assert table.to_pydict() == {"f": [1e3, 1e4], "gain": [0.5, 0.25]}
    assert table.schema.field("gain").metadata == {b"unit": b"dB"}


def _forged_parts(run_id: str) -> list[MeasurementTable]:
    """A two-part, 4-point table, plus parts a station made up: overlapping, short an axis."""
    session_id, table_id, now = new_id(), new_id(), time.time_ns()

    def part(seq: int, first: int, volts: list[float], axes: int = 2) -> MeasurementTable:
        columns = [Axis(name="V", unit="V", values=volts)]
        columns += [Axis(name="I", unit="A", values=[v / 10 for v in volts])][: axes - 1]
        return MeasurementTable(
            event_id=new_id(),
            session_id=session_id,
            station_id="cell-forge",
            seq=seq,
            occurred_at=now,
            run_id=run_id,
            name="iv",
            table_id=table_id,
            axes=columns,
            first_point=first,
            point_count=4,
        )

    return [
        part(1, 0, [1.0, 2.0]),
        part(2, 2, [3.0, 4.0]),
        part(3, 1, [9.0, 9.0, 9.0]),  # overlaps both
        part(4, 0, [8.0, 8.0, 8.0, 8.0], axes=1),  # an axis short
    ]


def test_parts_a_station_made_up_cannot_grow_a_read_and_json_has_a_cap(
    running_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = new_id()
    parts = _forged_parts(run_id)

    async def publish() -> None:
        nc = await nats.connect(running_hub.nats.url)
        await nc.jetstream().publish(
            event_subject("cell-forge", parts[0].session_id), encode_frame(parts)
        )
        await nc.close()

    asyncio.run(publish())
    running_hub.wait_ingested(30)
    url = f"{running_hub.api_url}/api/runs/{run_id}/tables/iv"
    body = httpx.get(url, timeout=30).json()
    assert [column["values"] for column in body["columns"]] == [
        [1.0, 2.0, 3.0, 4.0],
        [0.1, 0.2, 0.3, 0.4],
    ]

    monkeypatch.setattr(table_routes, "MAX_JSON_CELLS", 6)
    refused = httpx.get(url, timeout=30)
    assert refused.status_code == 400
    assert refused.json()["parameter"] == "format"
    assert "4 points on 2 axes" in refused.json()["detail"]
    arrow = httpx.get(url, params={"format": "arrow"}, timeout=30)
    assert pa.ipc.open_stream(arrow.content).read_all().num_rows == 4

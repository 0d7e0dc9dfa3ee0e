"""Station → JetStream → projector → ClickHouse → HTTP, all real, in one hub."""

from __future__ import annotations

import time

import httpx
import numpy as np

from benchtrail.agents import connect
from benchtrail.api import EventStore
from benchtrail.api.hub.embedded import Hub
from benchtrail.schemas import RunStarted, SessionStarted


def test_a_recorded_session_is_visible_through_http_and_the_client(running_hub: Hub):
    hub_url = running_hub.nats.url
    stamps = time.time_ns() + np.arange(500, dtype=np.int64) * 1000
    with connect(
        "cell-7",
        hub=hub_url,
        operator="alice",
        name="Cell 7",
        location="line 2",
        fixture_id="FX-9",
        slot_count=2,
    ) as station:
        with station.run(
            dut_serial="SN123",
            part_number="PWR-5V",
            revision="B",
            lot_number="LOT-7",
            product_name="5 V supply",
            slot_index=1,
            test_phase="production",
            custom_metadata={"temp_c": 23.5},
        ) as run:
            run.measure("vout", 5.01, unit="V", low=4.95, high=5.05)
            run.measure("iq", 0.2, unit="A", high=0.15)
            run.measure_batch("ripple", np.full(500, 0.01), stamps, unit="V", high=0.02)
        session_id, run_id = station.session_id, run.run_id
    running_hub.wait_ingested()

    with EventStore(running_hub.api_url) as store:
        check_everything_visible(store, running_hub, session_id, run_id)


def check_everything_visible(
    store: EventStore, running_hub: Hub, session_id: str, run_id: str
) -> None:
    [session] = store.sessions(station_id="cell-7")
    assert session.session_id == session_id
    assert (session.operator_id, session.station_name, session.station_location) == (
        "alice",
        "Cell 7",
        "line 2",
    )
    assert (session.fixture_id, session.slot_count, session.status) == ("FX-9", 2, "ended")
    assert session.client_name == "pytest" and session.pid > 0 and session.hostname
    assert session.git_commit and session.python_version

    [summary] = store.runs(dut_serial="SN123")
    assert summary.run_id == run_id and summary.outcome == "failed"
    assert (summary.dut_part_number, summary.dut_revision, summary.dut_lot_number) == (
        "PWR-5V",
        "B",
        "LOT-7",
    )
    assert (summary.product_name, summary.slot_index, summary.test_phase) == (
        "5 V supply",
        1,
        "production",
    )
    assert summary.custom_metadata == {"temp_c": 23.5}
    assert (summary.measurement_count, summary.failed_measurement_count) == (502, 1)

    detail = store.run(run_id)
    by_name = {}
    for point in detail.measurements:
        by_name.setdefault(point.name, []).append(point)
    assert [p.outcome for p in by_name["vout"]] == ["passed"]
    assert by_name["vout"][0].value == 5.01 and by_name["vout"][0].unit == "V"
    assert [p.outcome for p in by_name["iq"]] == ["failed"]
    assert len(by_name["ripple"]) == 500

    events = store.events(session_id=session_id, event_type="run.started")
    assert len(events) == 1 and isinstance(events[0], RunStarted)
    assert events[0].dut.serial == "SN123"
    everything = store.events(session_id=session_id)
    assert isinstance(everything[0], SessionStarted)
    assert [e.seq for e in everything] == list(range(1, len(everything) + 1))

    response = httpx.get(f"{running_hub.api_url}/api/sessions/{session_id}")
    assert response.status_code == 200
    assert response.json()["counts"]["measurement_count"] == 502


def test_health_reports_the_projector(running_hub: Hub):
    with connect("cell-7", hub=running_hub.nats.url) as station, station.run() as run:
        run.measure("v", 1.0)
    last = running_hub.wait_ingested()
    body = httpx.get(f"{running_hub.api_url}/api/health").json()
    assert body["status"] == "ok"
    assert body["projector"]["ingested_through"] >= last

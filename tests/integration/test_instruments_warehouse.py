"""Instrument calls and lock events, recorded by a station, queryable in ClickHouse."""

from __future__ import annotations

from benchtrail.agents import connect
from benchtrail.agents.config import InstrumentConfig, StationConfig
from benchtrail.api.hub.embedded import Hub


def test_instrument_calls_and_locks_land_in_their_tables(running_hub: Hub):
    config = StationConfig(
        id="cell-7",
        instrument_calls="all",
        instruments={"psu": InstrumentConfig(resource="TCPIP::10.0.0.7::INSTR", driver="psu")},
    )
    with connect("cell-7", hub=running_hub.nats.url, mock=True, config=config) as station:
        psu = station.instrument("psu")
        psu.set(voltage=4.2)
        session_id = station.session_id
    running_hub.wait_ingested()
    warehouse = running_hub.warehouse
    assert warehouse is not None
    db = warehouse.database
    calls = warehouse.rows(
        f"SELECT command, resource, fencing_token FROM {db}.instrument_calls FINAL"
        " WHERE session_id = {s:String} ORDER BY occurred_at",
        {"s": session_id},
    )
    assert any(c["command"].startswith("VOLT 4.2") for c in calls)
    assert {c["resource"] for c in calls} == {"TCPIP::10.0.0.7::INSTR"}
    assert all(c["fencing_token"] > 0 for c in calls)
    locks = warehouse.rows(
        f"SELECT action, key FROM {db}.locks FINAL WHERE session_id = {{s:String}}"
        " ORDER BY occurred_at",
        {"s": session_id},
    )
    assert [row["action"] for row in locks] == ["acquired", "released"]

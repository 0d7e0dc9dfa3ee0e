"""``Records.to_polars()``: one row per item, one column per field, typed."""

from __future__ import annotations

import msgspec
import polars as pl

from benchtrail.api import EventStore, Records, RunSummary, SessionSummary
from benchtrail.schemas import Event

from .seed import PAGED_COUNT, PAGED_STATION, Seed


def test_sessions_frame_has_a_column_per_field(store: EventStore) -> None:
    frame = store.sessions(station_id=PAGED_STATION, limit=None).to_polars()
    assert frame.shape == (PAGED_COUNT, len(SessionSummary.__struct_fields__))
    assert frame.columns == list(SessionSummary.__struct_fields__)
    assert frame.schema["started_at"] == pl.Datetime("us", "UTC")
    assert frame.schema["device_ids"] == pl.List(pl.String)
    assert frame.schema["packages"] == pl.String


def test_runs_frame_keeps_values_and_json_encodes_mappings(store: EventStore) -> None:
    frame = store.runs(dut_serial="SN123").to_polars()
    assert frame.shape == (1, len(RunSummary.__struct_fields__))
    row = frame.row(0, named=True)
    assert row["dut_serial"] == "SN123"
    assert row["outcome"] == "failed"
    assert row["channel_refs"] == ["ch1", "ch2"]
    assert msgspec.json.decode(row["custom_metadata"]) == {
        "temp_c": 25.5,
        "retest": False,
        "fw": "1.2.3",
        "count": 3,
    }


def test_events_frame_has_the_fields_of_the_types_present(seeded: Seed, store: EventStore) -> None:
    events = store.events(seeded.main_session.session_id, limit=None)
    frame = events.to_polars()
    assert frame.height == len(seeded.main)
    assert frame["type"].to_list()[:3] == ["session.started", "run.started", "step.started"]
    assert frame["seq"].to_list() == list(range(1, len(seeded.main) + 1))
    assert frame.schema["values"] == pl.List(pl.Float64)
    assert {"dut", "outcome", "message", "station"} <= set(frame.columns)


def test_empty_records_still_have_their_columns(store: EventStore) -> None:
    assert store.runs(dut_serial="nobody").to_polars().columns == list(RunSummary.__struct_fields__)
    empty_events = Records[Event](item_type=Event).to_polars()
    assert empty_events.columns[0] == "type"
    assert empty_events.height == 0

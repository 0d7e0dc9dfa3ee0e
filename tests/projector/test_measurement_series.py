"""``measurement.series``: run.measure() points in columns give the rows single events gave."""

from __future__ import annotations

import asyncio
import math
import time

import msgspec
import nats
import pytest

from benchtrail.agents import connect
from benchtrail.projector import RowBatch
from benchtrail.projector.frames import check_frame
from benchtrail.projector.streams import ensure_streams
from benchtrail.schemas import (
    EVENTS_STREAM,
    Measurement,
    MeasurementSeries,
    encode_frame,
    expand_events,
    new_series_id,
    series_event_ids,
)

from .conftest import T0, Session

Frames = list[tuple[str, bytes, int]]


def _record_calls(hub_url: str) -> tuple[Frames, int]:
    """Record a mix of measure() calls on a real hub; return its frames and the point count."""
    asyncio.run(_ensure(hub_url))
    at = time.time_ns() - 10**9
    with connect("cell-7", hub=hub_url) as station, station.run(dut_serial="SN-1") as run:
        run.measure("vout", 5.01, unit="V", low=4.95, high=5.05)
        run.measure("vout", 5.2, unit="V", low=4.95, high=5.05, step="load")
        run.measure("count", 3, low=0, high=10)
        run.measure("ok", True)
        run.measure("label", "OVERRANGE", low=1.0)
        run.measure("note", "fine")
        run.measure("iq", 0.2, unit="A", high=0.15, at=at)
        run.measure("zero", -0.0, low=-0.0, high=0.0)
        run.measure("huge", 2**60)  # a float cannot hold it: one measurement event
        station.log("between")
        for i in range(50):
            run.measure(f"p{i % 3}", i * 0.5, unit="mV", low=None if i % 2 else 1.0)
    return asyncio.run(_frames(hub_url)), 59


async def _ensure(url: str) -> None:
    nc = await nats.connect(url)
    await ensure_streams(nc.jetstream())
    await nc.close()


async def _frames(url: str) -> Frames:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        total = (await js.stream_info(EVENTS_STREAM)).state.messages
        messages = [await js.get_msg(EVENTS_STREAM, seq) for seq in range(1, total + 1)]
        return [(m.subject, m.data or b"", int(m.seq or 0)) for m in messages]
    finally:
        await nc.close()


def _rows(batch: RowBatch, table: str = "measurements") -> list[dict[str, object]]:
    rows = batch.tables()[table].to_pylist()
    for row in rows:  # text points have NaN as their number: make them comparable
        if isinstance(row.get("value"), float) and math.isnan(row["value"]):
            row["value"] = "NaN"
    return sorted(rows, key=lambda row: str(row["event_id"]))


def test_series_rows_are_the_rows_single_measurement_events_give(hub_url, warehouse):
    frames, points = _record_calls(hub_url)
    as_series, as_events = RowBatch(), RowBatch()
    wire: list[object] = []
    for subject, data, stream_seq in frames:
        checked = check_frame(subject, data)
        assert not checked.rejected
        wire.extend(checked.events)
        as_series.add_frame(checked.events, stream_seq)
        singles = check_frame(subject, encode_frame(expand_events(checked.events)))
        as_events.add_frame(singles.events, stream_seq)
    assert sum(type(e) is MeasurementSeries for e in wire) == 2  # split by the event between
    assert sum(type(e) is Measurement for e in wire) == 1  # 2**60
    series_rows, event_rows = _rows(as_series), _rows(as_events)
    assert len(series_rows) == points
    assert series_rows == event_rows
    assert _rows(as_series, "events") == _rows(as_events, "events")  # a session's events, seqs
    # the envelopes a session's event list rebuilds its measurement events from: one per
    # series (each in one run, whatever its names), one for the single event
    envelopes = _rows(as_series, "measurement_events")
    assert sorted(row["more_events"] for row in envelopes) == [0, 7, 49]
    assert {row["name"] for row in envelopes} == {"", "huge"}  # names vary: each point's own
    seqs = [row["seq"] + k for row in envelopes for k in range(row["more_events"] + 1)]
    singles = _rows(as_events, "measurement_events")
    assert sorted(seqs) == sorted(row["seq"] for row in singles)
    assert len(singles) == points
    by_name = {row["name"]: row for row in series_rows}
    assert by_name["label"]["value_kind"] == "str"
    assert by_name["label"]["value_str"] == "OVERRANGE"
    assert by_name["label"]["outcome"] == "failed"
    assert (by_name["count"]["value_kind"], by_name["count"]["value"]) == ("int", 3.0)
    assert math.copysign(1.0, by_name["zero"]["low"]) == -1.0

    counts = warehouse.write(as_series)
    assert counts["measurements"] == points
    types = warehouse.rows(f"SELECT DISTINCT type FROM {warehouse.database}.events")
    assert "measurement.series" not in {row["type"] for row in types}


def _series(session: Session, count: int = 4, **columns: object) -> MeasurementSeries:
    envelope = session.envelope()
    session.seq += count - 1
    fields: dict[str, object] = {
        "occurred_at_ns": [T0 + i for i in range(count)],
        "values": [float(i) for i in range(count)],
        "names": ["vout"],
        **columns,
    }
    return MeasurementSeries(
        **{**envelope, "event_id": new_series_id(), "occurred_at": T0},  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("columns", "code", "words"),
    [
        ({"lows": [1.0, 1.0, 5.0, 1.0], "highs": [2.0]}, "bad-limits", "point 2"),
        ({"occurred_at_ns": [T0, T0, 10, T0]}, "bad-time", "occurred_at 10 ns"),
        ({"units": ["V", "A"]}, "misaligned-batch", "each of 1 or 4"),
        ({"names": [" "]}, "bad-name", "blank name"),
        ({"texts": ["", "x", "", ""]}, "misaligned-batch", "point 1 of kind 'float'"),
        ({"kinds": ["str"]}, "misaligned-batch", "no texts"),
    ],
)
def test_a_bad_series_is_refused_with_its_code_and_its_neighbours_are_kept(
    session, columns, code, words
):
    good = session.measurements(1)
    bad = _series(session, **columns)
    after = session.measurements(1)
    checked = check_frame(session.subject, encode_frame([*good, bad, *after]), now_ns=T0)
    assert [type(e) for e in checked.events] == [Measurement, Measurement]
    [rejected] = checked.rejected
    assert (rejected.index, rejected.code) == (1, code)
    assert words in rejected.detail


def test_a_series_without_room_for_its_ids_is_refused(session):
    bad = msgspec.structs.replace(_series(session), event_id="01a24efd-9391-74ee-bfff-ffffffffffff")
    checked = check_frame(session.subject, encode_frame([bad]), now_ns=T0)
    assert [r.code for r in checked.rejected] == ["invalid-event"]


def test_a_series_expands_into_its_measurement_events_with_their_own_ids_and_seqs(session):
    series = _series(session, count=3, outcomes=["passed", "failed", "passed"], lows=[0.5])
    events = expand_events([series])
    assert [e.seq for e in events] == [series.seq, series.seq + 1, series.seq + 2]
    assert [e.event_id for e in events] == series_event_ids(series.event_id, 3)
    assert len({e.event_id for e in events}) == 3
    assert [e.outcome for e in events] == ["passed", "failed", "passed"]
    assert all(isinstance(e, Measurement) and e.low == 0.5 for e in events)

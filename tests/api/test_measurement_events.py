"""Measurement events have no JSON copy in ``events``, yet a session's events show them as sent."""

from __future__ import annotations

import json

import msgspec

from benchtrail.api.queries import session_events, session_events_table
from benchtrail.api.queries.measurement_events import envelope_times, event_log, event_seqs
from benchtrail.projector import RowBatch, Warehouse
from benchtrail.schemas import (
    Event,
    Log,
    Measurement,
    MeasurementBatch,
    MeasurementSeries,
    event_tag,
    expand_events,
    new_id,
    new_series_id,
    to_json,
)

T0 = 1_714_565_805_000_000_000
SESSION = new_id()


def envelope(seq: int) -> dict[str, object]:
    return {
        "event_id": new_id(),
        "session_id": SESSION,
        "station_id": "cell-7",
        "seq": seq,
        "occurred_at": T0 + seq * 1_000,
    }


def session() -> list[Event]:
    """Every shape of measurement event, between two log lines, in seq order."""
    stamps = [T0 + 10, T0 + 20, T0 + 30]
    return [
        Log(**envelope(1), level="info", message="start", run_id="r1"),
        Measurement(
            **envelope(2),
            run_id="r1",
            name="vout",
            value=3.31,
            unit="V",
            low=3.2,
            high=3.4,
            outcome="passed",
            step="power",
            description="output voltage",
            marginal_low=3.25,
            marginal_high=None,
            marginal=False,
        ),
        Measurement(**envelope(3), run_id="r1", name="count", value=7, outcome="passed"),
        Measurement(**envelope(4), run_id="r1", name="ok", value=True),
        Measurement(**envelope(5), run_id="r1", name="fw", value="1.2.3", step="power"),
        MeasurementBatch(
            **envelope(6),
            run_id="r1",
            name="ripple",
            values=[0.01, 0.05, -0.5],
            timestamps_ns=stamps,
            unit="V",
            low=-0.1,
            high=0.04,
            step="power",
        ),
        MeasurementBatch(
            **envelope(7),
            run_id="r1",
            names=["a", "b", "a"],
            values=[1.0, 2.0, 3.0],
            timestamps_ns=stamps,
            kind="int",
        ),
        MeasurementBatch(
            **envelope(8),
            run_id="r1",
            name="mode",
            values=[],
            texts=["x", "y", "x"],
            timestamps_ns=stamps,
            kind="str",
        ),
        Log(**envelope(9), level="info", message="end", run_id="r1"),
    ]


def write(warehouse: Warehouse, events: list[Event]) -> None:
    batch = RowBatch()
    batch.add_frame(events, stream_seq=1)  # type: ignore[arg-type]
    warehouse.write(batch)


def test_measurement_events_are_rebuilt_exactly_and_not_copied_into_events(
    warehouse: Warehouse,
) -> None:
    sent = session()
    write(warehouse, sent)

    raw_types = warehouse.rows(
        f"SELECT type FROM {warehouse.database}.events WHERE session_id = {{s:String}}",
        {"s": SESSION},
    )
    assert [row["type"] for row in raw_types] == ["log", "log"]

    page = session_events(warehouse, SESSION, limit=100)
    assert page.payloads == [to_json(e).decode() for e in sent]
    table = session_events_table(warehouse, SESSION, {}, limit=100).table
    assert table.column("payload").to_pylist() == page.payloads
    assert table.column("type").to_pylist() == [event_tag(type(e)) for e in sent]
    assert "rebuild" not in table.column_names


def test_pages_and_type_filter_reach_the_rebuilt_events(warehouse: Warehouse) -> None:
    sent = session()
    write(warehouse, sent)

    first = session_events(warehouse, SESSION, limit=4)
    rest = session_events(warehouse, SESSION, after_seq=first.next_after_seq or 0, limit=10)
    assert (first.next_after_seq, rest.next_after_seq) == (4, None)
    assert first.payloads + rest.payloads == [to_json(e).decode() for e in sent]
    batches = session_events(warehouse, SESSION, {"event_type": "measurement.batch"}, limit=10)
    assert batches.payloads == [to_json(e).decode() for e in sent[5:8]]


def test_an_older_warehouse_copy_in_events_is_shown_once(warehouse: Warehouse) -> None:
    sent = session()
    write(warehouse, sent)
    # What the projector wrote before: every measurement event's JSON copy in events.
    for event in sent[1:8]:
        warehouse.command(
            f"INSERT INTO {warehouse.database}.events"
            " (event_id, session_id, station_id, seq, type, occurred_at, run_id, payload)"
            " VALUES ({id:String}, {s:String}, 'cell-7', {seq:UInt64}, {type:String},"
            " fromUnixTimestamp64Nano({at:Int64}, 'UTC'), 'r1', {payload:String})",
            {
                "id": event.event_id,
                "s": SESSION,
                "seq": event.seq,
                "type": event_tag(type(event)),
                "at": event.occurred_at,
                "payload": msgspec.json.encode(event).decode(),
            },
        )

    page = session_events(warehouse, SESSION, limit=100)
    assert page.payloads == [to_json(e).decode() for e in sent]
    assert count_events(warehouse) == len(sent)  # each copy counted once


def count_events(warehouse: Warehouse) -> int:
    """The session's events as its summary counts them (distinct ``seq`` of both tables)."""
    seqs = event_seqs(warehouse.database, "session_id = {s:String}")
    return int(warehouse.scalar(f"SELECT uniqExact(seq) FROM {seqs}", {"s": SESSION}))


def test_a_series_is_listed_as_the_measurement_events_it_carries(warehouse: Warehouse) -> None:
    """run.measure() points travel as one ``measurement.series``; a session's event list
    shows each as the ``measurement`` event it stands for, with its own id and seq."""
    series = MeasurementSeries(
        **{**envelope(2), "event_id": new_series_id()},  # type: ignore[arg-type]
        occurred_at_ns=[T0 + 11, T0 + 12, T0 + 13],
        values=[3.3, 7.0, 0.0],
        kinds=["float", "int", "str"],
        texts=["", "", "OVERRANGE"],
        run_ids=["r1"],
        names=["vout", "count", "label"],
        units=["V", "", ""],
        outcomes=["passed", "unset", "failed"],
        steps=["power"],
    )
    sent = [
        Log(**envelope(1), level="info", message="start", run_id="r1"),
        series,
        Log(**envelope(5), level="info", message="end", run_id="r1"),
    ]
    write(warehouse, sent)

    page = session_events(warehouse, SESSION, limit=100)
    assert page.payloads == [to_json(e).decode() for e in expand_events(sent)]
    assert [json.loads(p)["seq"] for p in page.payloads] == [1, 2, 3, 4, 5]
    assert json.loads(page.payloads[3])["value"] == "OVERRANGE"


def _sweep(seq: int, count: int, first_id: str, run_id: str = "r1") -> MeasurementSeries:
    """``count`` run.measure() calls of one name in one run: one envelope row stands for them."""
    return MeasurementSeries(
        **{**envelope(seq), "event_id": first_id},  # type: ignore[arg-type]
        occurred_at_ns=[T0 + 100 + 7 * i for i in range(count)],
        values=[0.5 * i for i in range(count)],
        run_ids=[run_id],
        names=["vout"],
        units=["V"],
        lows=[0.0],
        highs=[3.0],
        outcomes=["passed"],
    )


def test_a_sweep_is_one_envelope_row_yet_each_of_its_events_is_listed(
    warehouse: Warehouse,
) -> None:
    """A series of one name in one run is written as one envelope row; a session's event
    list still shows every point as its own ``measurement`` event (id, seq, time), in pages
    that start inside the series, and the session counts each one."""
    # a first id whose low 64 bits have leading zero digits: the counted-up ids keep them
    first_id = new_series_id()[:19] + "0000-0000000000fe"
    series = _sweep(2, 8, first_id)
    sent = [
        Log(**envelope(1), level="info", message="start", run_id="r1"),
        series,
        Log(**envelope(10), level="info", message="end", run_id="r1"),
    ]
    write(warehouse, sent)
    db = warehouse.database
    stored = warehouse.rows(
        f"SELECT seq, more_events, toUnixTimestamp64Nano(last_at) AS last_ns"
        f" FROM {db}.measurement_events"
    )
    assert stored == [{"seq": 2, "more_events": 7, "last_ns": T0 + 100 + 7 * 7}]
    newest = warehouse.rows(
        f"SELECT toUnixTimestamp64Nano(max(at)) AS ns FROM {envelope_times(db)}"
    )
    assert newest == [{"ns": T0 + 10_000}]  # the log line after the sweep

    expected = [to_json(e).decode() for e in expand_events(sent)]
    assert json.loads(expected[2])["event_id"] == first_id[:-2] + "ff"
    assert json.loads(expected[3])["event_id"] == first_id[:-3] + "100"
    page = session_events(warehouse, SESSION, limit=100)
    assert page.payloads == expected
    assert [json.loads(p)["seq"] for p in page.payloads] == list(range(1, 11))

    inside = session_events(warehouse, SESSION, after_seq=4, limit=3)
    assert inside.payloads == expected[4:7]
    assert inside.next_after_seq == 7
    filters = {"event_type": "measurement", "since": T0 + 114}
    table = session_events_table(warehouse, SESSION, filters, limit=100)
    assert table.table.column("payload").to_pylist() == expected[3:9]  # a time filter, too
    times = table.table.column("occurred_at_ns").to_pylist()
    assert times == [T0 + 100 + 7 * i for i in range(2, 8)]

    last = "maxIf(toUnixTimestamp64Nano(occurred_at), type = 'measurement')"
    counted = f"SELECT uniqExact(seq), {last} FROM {event_log(db)}"
    assert list(warehouse.rows(counted)[0].values()) == [10, T0 + 100 + 7 * 7]
    assert count_events(warehouse) == 10  # what a session's summary counts


def test_a_test_loop_of_many_names_is_one_envelope_row_yet_lists_each_named_event(
    warehouse: Warehouse,
) -> None:
    """A run's loop of ``measure()`` calls, each of another name: one envelope row, and
    the session's event list shows each point as the ``measurement`` event it was, name
    included; the session counts each one."""
    names = ["vout", "iout", "ripple", "efficiency", "temp"]
    series = MeasurementSeries(
        **{**envelope(2), "event_id": new_series_id()},  # type: ignore[arg-type]
        occurred_at_ns=[T0 + 100 + 7 * i for i in range(len(names))],
        values=[1.5 * i for i in range(len(names))],
        run_ids=["r1"],
        names=names,
        units=["V", "A", "mV", "%", "C"],
        lows=[0.0],
        highs=[5.0],
        outcomes=["passed", "passed", "passed", "passed", "failed"],
    )
    sent = [Log(**envelope(1), level="info", message="start", run_id="r1"), series]
    write(warehouse, sent)
    db = warehouse.database
    stored = warehouse.rows(f"SELECT seq, more_events, name FROM {db}.measurement_events")
    assert stored == [{"seq": 2, "more_events": 4, "name": ""}]
    page = session_events(warehouse, SESSION, limit=100)
    assert page.payloads == [to_json(e).decode() for e in expand_events(sent)]
    assert [json.loads(p).get("name") for p in page.payloads[1:]] == names
    assert count_events(warehouse) == 6


def test_a_series_that_changes_run_keeps_one_envelope_per_point(warehouse: Warehouse) -> None:
    """Points of one series in two runs: each envelope names its own run (no shared row)."""
    series = MeasurementSeries(
        **{**envelope(1), "event_id": new_series_id()},  # type: ignore[arg-type]
        occurred_at_ns=[T0 + 1, T0 + 2, T0 + 3],
        values=[1.0, 2.0, 3.0],
        run_ids=["r1", "r1", "r2"],
        names=["vout"],
    )
    write(warehouse, [series])
    db = warehouse.database
    rows = warehouse.rows(f"SELECT run_id, more_events FROM {db}.measurement_events ORDER BY seq")
    assert [(r["run_id"], r["more_events"]) for r in rows] == [("r1", 0), ("r1", 0), ("r2", 0)]
    page = session_events(warehouse, SESSION, limit=100)
    assert page.payloads == [to_json(e).decode() for e in expand_events([series])]

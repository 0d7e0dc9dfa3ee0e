"""``session_seqs``: a session's stored seqs as bitmaps, kept by views on every insert.

A session's summary counts its stored events from it (and a station's ``last_seen`` its
newest event time): each must equal what reading every stored event gives, whatever
was written twice, and a warehouse written before the table existed gets it filled.
"""

from __future__ import annotations

from benchtrail.api.queries.measurement_events import envelope_times, event_seqs
from benchtrail.api.queries.sessions import get_session
from benchtrail.api.queries.stations import list_stations
from benchtrail.projector import RowBatch, Warehouse, session_seqs
from benchtrail.schemas import Log, MeasurementSeries, new_series_id

from .conftest import T0, Session


def _write(warehouse: Warehouse, frames: list[list[object]], first_stream_seq: int = 1) -> None:
    batch = RowBatch()
    for offset, events in enumerate(frames):
        batch.add_frame(events, stream_seq=first_stream_seq + offset)  # type: ignore[arg-type]
    warehouse.write(batch)


def _series(session: Session, count: int) -> MeasurementSeries:
    envelope = session.envelope()
    session.seq += count - 1
    at = int(envelope["occurred_at"])  # type: ignore[call-overload]
    return MeasurementSeries(
        **{**envelope, "event_id": new_series_id()},  # type: ignore[arg-type]
        occurred_at_ns=[at + i for i in range(count)],
        values=[float(i) for i in range(count)],
        run_ids=[session.run_id],
        names=[f"m{i}" for i in range(count)],
    )


def _counted_one_by_one(warehouse: Warehouse, session_id: str) -> int:
    seqs = event_seqs(warehouse.database, "session_id = {s:String}")
    return int(warehouse.scalar(f"SELECT uniqExact(seq) FROM {seqs}", {"s": session_id}))


def _newest_one_by_one(warehouse: Warehouse) -> int:
    return int(
        warehouse.scalar(
            f"SELECT toUnixTimestamp64Nano(max(at)) FROM {envelope_times(warehouse.database)}"
        )
    )


def test_a_session_s_event_count_and_last_event_equal_those_of_every_stored_event(
    warehouse: Warehouse, session: Session
):
    events = session.full_run()  # lifecycle events, single measurements and a batch
    ended = events.pop()  # session.ended last, in a frame of its own
    series = _series(session, 40)  # a loop of measure() calls: one envelope for 40 events
    log = Log(**session.envelope(), level="info", message="late", run_id=session.run_id)
    hostile = Log(**{**session.envelope(), "seq": 3}, level="info", message="seq 3 again")
    frames = [events, [series, log], [hostile]]
    _write(warehouse, frames)
    _write(warehouse, frames[:2], first_stream_seq=10)  # delivered again, another batch
    _write(warehouse, [[ended]], first_stream_seq=20)

    detail = get_session(warehouse, session.session_id, run_limit=10)
    stored = _counted_one_by_one(warehouse, session.session_id)
    assert stored == len(events) + 40 + 1 + 1  # seq 3 twice counts once
    assert detail.event_count == stored
    (station,) = list_stations(warehouse)
    assert station.last_seen_ns == _newest_one_by_one(warehouse)

    rows = warehouse.rows(
        f"SELECT day, groupBitmapMerge(seqs) AS n FROM {warehouse.database}.{session_seqs.TABLE}"
        " GROUP BY day"
    )
    assert [int(row["n"]) for row in rows] == [stored]  # one day, T0's


def test_a_warehouse_written_before_the_table_gets_it_filled_and_kept_from_then_on(
    warehouse: Warehouse, session: Session
):
    db = warehouse.database
    _write(warehouse, [session.full_run(), [_series(session, 25)]])
    for view in ("session_seqs_of_events", "session_seqs_of_measurement_events"):
        warehouse.command(f"DROP VIEW {db}.{view}")
    warehouse.command(f"DROP TABLE {db}.{session_seqs.TABLE}")
    warehouse.command(session_seqs.create_statement(db, "session_seqs__filling"))  # cut short

    warehouse.ensure_schema()
    counted = get_session(warehouse, session.session_id, run_limit=1).event_count
    assert counted == _counted_one_by_one(warehouse, session.session_id) == session.seq
    assert not warehouse.rows(
        "SELECT name FROM system.tables WHERE database = {db:String} AND name LIKE '%filling'",
        {"db": db},
    )

    warehouse.ensure_schema()  # a second start fills nothing again
    late = Log(**session.envelope(), level="info", message="after the fill")
    _write(warehouse, [[late]], first_stream_seq=50)
    assert get_session(warehouse, session.session_id, run_limit=1).event_count == session.seq
    assert session.seq == _counted_one_by_one(warehouse, session.session_id)
    assert _newest_one_by_one(warehouse) > T0

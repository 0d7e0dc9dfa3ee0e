"""A quiet day's parts of ``measurements`` become one part, which FINAL reads as it is."""

from __future__ import annotations

import asyncio
import functools
import logging
import time

from benchtrail.api.hub import upkeep
from benchtrail.api.queries.measurements import FINAL_SETTINGS
from benchtrail.projector import RowBatch, Warehouse
from benchtrail.projector.lone_parts import LonePart, settle_lone_part
from benchtrail.projector.tables import DAY_COLUMNS, QUIET_DAY_S
from benchtrail.schemas import Measurement, new_id

T0 = 1_714_565_805_000_000_000  # 2024-05-01 12:16:45 UTC
SESSION = new_id()


def _write_points(warehouse: Warehouse, first_seq: int, count: int, copies: int = 1) -> None:
    """One projector write of ``count`` single measurements of the same day (one part), in
    ``copies`` frames (a frame sent again before the first was acknowledged)."""
    events = [
        Measurement(
            event_id=new_id(),
            session_id=SESSION,
            station_id="cell-7",
            seq=seq,
            occurred_at=T0 + seq * 1_000_000,
            run_id="r1",
            name="vout",
            value=3.3 + seq * 1e-3,
            unit="V",
            outcome="unset",
        )
        for seq in range(first_seq, first_seq + count)
    ]
    batch = RowBatch()
    for copy in range(copies):
        batch.add_frame(events, stream_seq=first_seq + copy)  # type: ignore[arg-type]
    warehouse.write(batch)


def _parts(warehouse: Warehouse) -> list[int]:
    """The levels of the active parts of ``measurements``."""
    rows = warehouse.rows(
        "SELECT level FROM system.parts WHERE active AND database = {db:String}"
        " AND table = 'measurements' ORDER BY level",
        {"db": warehouse.database},
    )
    return [int(row["level"]) for row in rows]


def _final_steps(warehouse: Warehouse) -> str:
    sql = (
        f"EXPLAIN PIPELINE SELECT count() FROM {warehouse.database}.measurements FINAL"
        f" WHERE name = 'vout' {FINAL_SETTINGS}"
    )
    return "\n".join(str(row["explain"]) for row in warehouse.rows(sql))


def test_a_quiet_day_is_merged_into_one_part_that_final_reads_as_it_is(warehouse: Warehouse):
    """Fresh parts (as the projector writes them, not deduplicated on insert) make every
    FINAL read deduplicate them; once a day has had no new part for an hour, ClickHouse
    merges it into one part and FINAL reads that part without deduplicating."""
    db = warehouse.database
    engine = warehouse.scalar(
        "SELECT engine_full FROM system.tables WHERE database = {db:String}"
        " AND name = 'measurements'",
        {"db": db},
    )
    assert f"min_age_to_force_merge_seconds = {QUIET_DAY_S}" in engine
    assert "min_age_to_force_merge_on_partition_only = 1" in engine

    for first in (1, 101, 201):
        _write_points(warehouse, first, 100)
    assert _parts(warehouse) == [0, 0, 0]
    assert "ReplacingSorted" in _final_steps(warehouse)

    # An hour passes: the same declared merge, with the table's age shortened to a second.
    warehouse.command(
        f"ALTER TABLE {db}.measurements MODIFY SETTING min_age_to_force_merge_seconds = 1"
    )
    deadline = time.monotonic() + 60
    while _parts(warehouse) != [1] and time.monotonic() < deadline:
        time.sleep(0.1)  # merges are ClickHouse's own background work: nothing to await
    assert _parts(warehouse) == [1]
    assert "ReplacingSorted" not in _final_steps(warehouse)
    counted = f"SELECT count() FROM {db}.measurements FINAL WHERE name = 'vout' {FINAL_SETTINGS}"
    assert warehouse.scalar(counted) == 300


def test_a_quiet_day_written_as_one_part_is_rewritten_once(warehouse: Warehouse):
    """A day written in one insert (a backfill) has nothing to be merged with: it stays one
    part of level 0, which keeps the copies it was written with and which every FINAL read
    deduplicates again. Once quiet, the hub's upkeep rewrites it, one partition per call."""
    db = warehouse.database
    _write_points(warehouse, 1, 100, copies=2)
    assert _parts(warehouse) == [0]
    assert warehouse.scalar(f"SELECT count() FROM {db}.measurements") == 200
    assert "ReplacingSorted" in _final_steps(warehouse)

    assert settle_lone_part(warehouse) is None  # written just now: not quiet yet
    settled = []
    while (lone := settle_lone_part(warehouse, quiet_s=0)) is not None:
        settled.append(lone)  # every table the write touched, one day partition each
        assert len(settled) <= len(DAY_COLUMNS)
    assert LonePart("measurements", "20240501", 200) in settled
    assert _parts(warehouse) == [1]
    assert warehouse.scalar(f"SELECT count() FROM {db}.measurements") == 100  # copies gone
    assert "ReplacingSorted" not in _final_steps(warehouse)


def test_the_hub_rewrites_one_such_day_a_minute(warehouse: Warehouse, monkeypatch, caplog):
    _write_points(warehouse, 1, 100, copies=2)
    lone = "SELECT count() FROM system.parts WHERE active AND level = 0 AND database = {db:String}"
    before = warehouse.scalar(lone, {"db": warehouse.database})
    # Quiet at once, instead of an hour after the write:
    monkeypatch.setattr(upkeep, "settle_lone_part", functools.partial(settle_lone_part, quiet_s=0))
    watch = upkeep.HubUpkeep(None, None, warehouse=warehouse)  # type: ignore[arg-type]
    asyncio.run(watch.rewrite_lone_day())  # within its first minute: nothing yet
    assert warehouse.scalar(lone, {"db": warehouse.database}) == before
    watch._next_settle = 0.0  # a minute later
    with caplog.at_level(logging.INFO, logger="benchtrail.hub"):
        asyncio.run(watch.rewrite_lone_day())
        asyncio.run(watch.rewrite_lone_day())  # the next one waits for the next minute
    assert warehouse.scalar(lone, {"db": warehouse.database}) == before - 1
    assert "written as one part, as a merged one" in caplog.text

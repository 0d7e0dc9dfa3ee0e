"""A quiet day's parts of ``measurements`` become one part, which FINAL reads as it is."""

from __future__ import annotations

import time

from benchtrail.api.queries.measurements import FINAL_SETTINGS
from benchtrail.projector import RowBatch, Warehouse
from benchtrail.projector.tables import QUIET_DAY_S
from benchtrail.schemas import Measurement, new_id

T0 = 1_714_565_805_000_000_000  # 2024-05-01 12:16:45 UTC
SESSION = new_id()


def _write_points(warehouse: Warehouse, first_seq: int, count: int) -> None:
    """One projector write of ``count`` single measurements of the same day (one part)."""
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
    batch.add_frame(events, stream_seq=first_seq)  # type: ignore[arg-type]
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

"""A batch writes the ends last: a reader who sees a run ended sees everything recorded in it."""

from __future__ import annotations

from benchtrail.projector.rows import RowBatch
from benchtrail.projector.tables import TABLES, WRITE_ORDER


def test_every_table_has_a_place_in_the_write_order():
    assert sorted(WRITE_ORDER) == sorted(TABLES)


def test_run_and_session_ends_are_written_after_the_points(session):
    batch = RowBatch()
    for seq, event in enumerate(session.full_run(), start=1):
        batch.add(event, seq)
    order = list(batch.tables())
    assert order[-2:] == ["run_ends", "session_ends"]
    assert order.index("measurements") < order.index("run_ends")

"""Settings every warehouse query runs with."""

from __future__ import annotations

from benchtrail.projector import Warehouse


def test_reads_do_not_load_the_column_statistics_merges_write(warehouse: Warehouse):
    """Merges store column statistics with each part; reading them while planning cost every
    read of a merged table several ms (a run's points: 9-12 ms instead of 4-5)."""
    assert warehouse.scalar("SELECT getSetting('use_statistics')") is False
    db = warehouse.database
    warehouse.command(
        f"INSERT INTO {db}.measurements (station_id, name, ts, value, event_id)"
        " VALUES ('st', 'v', '2024-05-01 10:00:00', 1.5, 'e1')"
    )
    warehouse.command(
        f"INSERT INTO {db}.measurements (station_id, name, ts, value, event_id)"
        " VALUES ('st', 'v', '2024-05-01 10:00:01', 2.5, 'e2')"
    )
    warehouse.command(f"OPTIMIZE TABLE {db}.measurements FINAL")
    merged = warehouse.scalar(
        "SELECT count() FROM system.parts WHERE active AND database = {db:String}"
        " AND table = 'measurements' AND level > 0",
        {"db": db},
    )
    assert merged == 1
    assert warehouse.rows(f"SELECT value FROM {db}.measurements ORDER BY ts") == [
        {"value": 1.5},
        {"value": 2.5},
    ]

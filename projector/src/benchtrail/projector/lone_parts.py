"""Day partitions written as one part, rewritten once they are quiet.

ClickHouse merges a day partition's parts into one once the day has been quiet for
:data:`~benchtrail.projector.tables.QUIET_DAY_S` (``min_age_to_force_merge_seconds``), and
``FINAL`` then reads that merged part as it is. A day written in one insert (a backfill,
a replay of a day, a station that sent its day in one batch) has nothing to be merged
with: its part stays at level 0, where it may hold copies of a point (inserts do not
deduplicate: ``optimize_on_insert = 0``) and where every ``FINAL`` read deduplicates it
again (a month of such days: ~30 ms more per month-wide read in ``benchmarks/queries.py``,
"as loaded" against "merged"). :func:`settle_lone_part` rewrites one such partition
(``OPTIMIZE … PARTITION … FINAL``: one part of level 1, copies collapsed); the hub's
upkeep calls it now and then, one partition at a time, since the rewrite holds the
warehouse's write turn (0.3-0.4 s for a day of 330,000 points here).
"""

from __future__ import annotations

from typing import NamedTuple

from benchtrail.projector.tables import DAY_COLUMNS, QUIET_DAY_S
from benchtrail.projector.warehouse import Warehouse

_LONE = """
    SELECT table, partition_id, sum(rows) AS rows FROM system.parts
    WHERE active AND database = {database:String} AND table IN {tables:Array(String)}
    GROUP BY table, partition_id
    HAVING count() = 1 AND max(level) = 0
       AND max(modification_time) <= now() - toIntervalSecond({quiet_s:UInt32})
    ORDER BY partition_id, table
    LIMIT 1
"""


class LonePart(NamedTuple):
    """A day partition that was one level-0 part: its table, partition id and rows."""

    table: str
    partition_id: str
    rows: int


def settle_lone_part(warehouse: Warehouse, quiet_s: int = QUIET_DAY_S) -> LonePart | None:
    """Rewrite the oldest day partition (of any day-partitioned table) that is one part of
    level 0 not written to for ``quiet_s``; return it (``None``: there was none).

    Blocking: call from a worker thread.
    """
    found = warehouse.rows(
        _LONE,
        {"database": warehouse.database, "tables": sorted(DAY_COLUMNS), "quiet_s": quiet_s},
    )
    if not found:
        return None
    lone = LonePart(str(found[0]["table"]), str(found[0]["partition_id"]), int(found[0]["rows"]))
    warehouse.command(
        f"OPTIMIZE TABLE {warehouse.database}.{lone.table} PARTITION ID {{partition:String}} FINAL",
        {"partition": lone.partition_id},
    )
    return lone

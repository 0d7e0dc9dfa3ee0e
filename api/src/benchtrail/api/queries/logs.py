"""The log lines of a run (the ``logs`` table), in time order."""

from __future__ import annotations

import msgspec

from benchtrail.api.errors import NotFound
from benchtrail.api.models.filters import LOGS, FilterValues
from benchtrail.api.models.logs import LogLine
from benchtrail.api.queries._sql import Where, filter_where, with_times
from benchtrail.projector import Warehouse


def run_logs(
    warehouse: Warehouse, run_id: str, filters: FilterValues | None = None, *, limit: int
) -> list[LogLine]:
    """The first ``limit`` log lines of a run matching ``filters``, by time then ``seq``.

    Raises:
        NotFound: the warehouse holds no run and no log line with that id.
    """
    where = Where()
    where.equals("run_id", run_id)
    where = filter_where(LOGS, filters or {}, warehouse.database, where)
    sql = f"""
        SELECT toUnixTimestamp64Nano(at) AS at_ns, toInt64(seq) AS seq, level, logger,
               message, source, session_id, event_id
        FROM {warehouse.database}.logs FINAL {where.sql()}
        ORDER BY at, session_id, seq LIMIT {{limit:UInt32}}
    """
    rows = warehouse.rows(sql, {**where.parameters, "limit": limit})
    if not rows and not _run_exists(warehouse, run_id):
        raise NotFound("run", run_id)
    return [msgspec.convert(with_times(row, "at"), LogLine) for row in rows]


def _run_exists(warehouse: Warehouse, run_id: str) -> bool:
    sql = f"""
        SELECT count() FROM (SELECT 1 FROM {warehouse.database}.runs
                             WHERE run_id = {{run_id:String}} LIMIT 1)
    """
    return bool(warehouse.scalar(sql, {"run_id": run_id}))

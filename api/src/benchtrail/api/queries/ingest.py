"""Per-session ``seq`` gaps in the warehouse, and its content checksums.

Every session's events carry ``seq`` 1..N without gaps, so a session whose stored
``seq`` values are not exactly 1..N misses events: ``max(seq)`` greater than
``uniqExact(seq)`` is a gap inside, and a ``session.ended`` whose ``event_count``
(its own ``seq``) is above ``max(seq)`` is a gap at the tail. ``events`` is sorted by
``(session_id, seq, event_id)``, so both are read per session from the sorting key.

Only sessions with an event since a given day are checked (the day partitions of
``events`` are pruned), but each of them over all of its events, so a long session
that began before the window is not taken for a gap.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from benchtrail.api.models.ingest import MissingRange, SeqGaps, SessionGap, TableSum
from benchtrail.api.queries.measurement_events import event_log, event_seqs
from benchtrail.api.timestamps import datetime_to_ns, ns_to_datetime
from benchtrail.projector import Warehouse
from benchtrail.projector.checksums import warehouse_checksums

DEFAULT_DAYS = 7
"""Days checked for gaps when no ``since`` is given."""
START_TYPES = ("session.started", "window.created", "file.registered")
"""Event types that open a session (a station session, an observation window, a file)."""

_PER_SESSION = """
SELECT e.session_id AS session_id, e.station_id AS station_id, e.stored AS stored,
       e.max_seq AS max_seq, greatest(e.max_seq, ifNull(s.event_count, 0)) AS expected_last,
       e.starts = 0 AS start_missing, s.session_id != '' AS ended,
       e.first_ns AS first_ns, e.last_ns AS last_ns
FROM (
    SELECT session_id, any(station_id) AS station_id, uniqExact(seq) AS stored,
           max(seq) AS max_seq, countIf(type IN {starts:Array(String)}) AS starts,
           toUnixTimestamp64Nano(min(occurred_at)) AS first_ns,
           toUnixTimestamp64Nano(max(occurred_at)) AS last_ns
    FROM {log}
    WHERE session_id IN (
        SELECT DISTINCT session_id FROM {log}
        WHERE occurred_at >= fromUnixTimestamp64Nano({since_ns:Int64}, 'UTC')
    )
    GROUP BY session_id
) AS e
LEFT JOIN (
    SELECT session_id, max(event_count) AS event_count FROM {db}.session_ends GROUP BY session_id
) AS s ON s.session_id = e.session_id
"""

_TOTALS = """
SELECT count() AS checked,
       countIf(expected_last > stored) AS with_gaps,
       countIf(start_missing) AS without_start,
       countIf(expected_last > stored OR start_missing) AS flagged,
       sum(expected_last - stored) AS missing
FROM ({per_session})
"""

_FLAGGED = """
SELECT * FROM ({per_session})
WHERE expected_last > stored OR start_missing
ORDER BY last_ns DESC, session_id
LIMIT {{limit:UInt32}}
"""

_RANGES = """
SELECT session_id, first, last, count() OVER (PARTITION BY session_id) AS total
FROM (
    SELECT session_id, previous + 1 AS first, seq - 1 AS last
    FROM (
        SELECT session_id, seq,
               lagInFrame(seq, 1, 0) OVER (
                   PARTITION BY session_id ORDER BY seq
                   ROWS BETWEEN 1 PRECEDING AND CURRENT ROW
               ) AS previous
        FROM (SELECT DISTINCT session_id, seq FROM {seqs_of_ids})
    )
    WHERE seq > previous + 1
)
ORDER BY session_id, first
LIMIT {limit:UInt32} BY session_id
"""


def window_start(since_ns: int | None, now: datetime | None = None) -> datetime:
    """The UTC day start of ``since_ns``, or of :data:`DEFAULT_DAYS` days ago."""
    moment = ns_to_datetime(since_ns) if since_ns is not None else None
    if moment is None:
        moment = (now or datetime.now(UTC)) - timedelta(days=DEFAULT_DAYS)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def seq_gaps(
    warehouse: Warehouse, since: datetime, *, session_limit: int = 50, range_limit: int = 20
) -> SeqGaps:
    """The sessions with an event since ``since`` whose events do not form 1..N.

    Args:
        warehouse: the warehouse to check.
        since: only sessions with an event at or after this time are checked.
        session_limit: most sessions listed (the totals count all of them).
        range_limit: most missing ranges listed per session.
    """
    per_session = _with_tables(_PER_SESSION, warehouse.database)
    parameters: dict[str, object] = {
        "since_ns": datetime_to_ns(since),
        "starts": list(START_TYPES),
    }
    totals = warehouse.rows(_TOTALS.format(per_session=per_session), parameters)[0]
    flagged = warehouse.rows(
        _FLAGGED.format(per_session=per_session), {**parameters, "limit": session_limit}
    )
    ranges = _missing_ranges(warehouse, flagged, range_limit)
    sessions = [_session_gap(row, *ranges.get(row["session_id"], ([], 0))) for row in flagged]
    return SeqGaps(
        since=since,
        sessions_checked=int(totals["checked"]),
        sessions_with_gaps=int(totals["with_gaps"]),
        sessions_without_start=int(totals["without_start"]),
        missing_events=int(totals["missing"] or 0),
        sessions=sessions,
        more_sessions=max(int(totals["flagged"]) - len(sessions), 0),
    )


def _missing_ranges(
    warehouse: Warehouse, flagged: list[dict[str, Any]], limit: int
) -> dict[str, tuple[list[MissingRange], int]]:
    """Missing ranges per session (inner ones from SQL, the tail one from ``expected_last``)."""
    with_gaps = [row for row in flagged if row["expected_last"] > row["stored"]]
    found: dict[str, tuple[list[MissingRange], int]] = {}
    if with_gaps:
        sql = _with_tables(_RANGES, warehouse.database)
        ids = [row["session_id"] for row in with_gaps]
        for row in warehouse.rows(sql, {"ids": ids, "limit": limit}):
            listed, _ = found.get(row["session_id"], ([], 0))
            listed.append(MissingRange(first=int(row["first"]), last=int(row["last"])))
            found[row["session_id"]] = (listed, int(row["total"]))
    for row in with_gaps:
        if row["expected_last"] > row["max_seq"]:
            listed, total = found.get(row["session_id"], ([], 0))
            tail = MissingRange(first=int(row["max_seq"]) + 1, last=int(row["expected_last"]))
            found[row["session_id"]] = ([*listed, tail][:limit], total + 1)
    return {key: (listed, total) for key, (listed, total) in found.items()}


def _session_gap(row: dict[str, Any], ranges: list[MissingRange], total: int) -> SessionGap:
    return SessionGap(
        session_id=row["session_id"],
        station_id=row["station_id"],
        stored=int(row["stored"]),
        max_seq=int(row["max_seq"]),
        expected_last=int(row["expected_last"]),
        missing=int(row["expected_last"]) - int(row["stored"]),
        start_missing=bool(row["start_missing"]),
        ended=bool(row["ended"]),
        ranges=ranges,
        more_ranges=max(total - len(ranges), 0),
        first_at=ns_to_datetime(int(row["first_ns"])),
        last_at=ns_to_datetime(int(row["last_ns"])),
    )


def table_sums(warehouse: Warehouse) -> dict[str, TableSum]:
    """Rows and content checksum of every benchtrail table."""
    return {
        table: TableSum(rows=found.rows, checksum=found.checksum)
        for table, found in warehouse_checksums(warehouse).items()
    }


def _with_tables(sql: str, database: str) -> str:
    """``sql`` with ``{db}`` the database, ``{log}`` every event's envelope (both tables)
    and ``{seqs_of_ids}`` the seqs of the sessions ``{ids:Array(String)}`` (both tables,
    without building envelopes)."""
    seqs = event_seqs(database, "session_id IN {ids:Array(String)}")
    return (
        sql.replace("{db}", database)
        .replace("{log}", event_log(database))
        .replace("{seqs_of_ids}", seqs)
    )

"""Each session's stored ``seq`` numbers as a bitmap per day: ``session_seqs``.

A session's summary says how many events the warehouse holds of it (distinct ``seq``,
over ``events`` and ``measurement_events``, a series' row standing for each of its
events). Counting them reads every stored event of the session: a paced station sends
each event in a frame of its own, so a day's session of 400 runs has ~47,000 rows to
read, and a page of 50 sessions 2.3 million (~100 ms here). This table holds, per
session, station and UTC day, a roaring bitmap of the seqs stored (``groupBitmap``:
a gap-free run of seqs takes a few bytes) and the newest event time: the count is
``groupBitmapMerge`` over a few rows (~5 ms for 50 sessions).

Two materialized views fill it from every insert into ``events`` and
``measurement_events``, whoever writes them (the projector, a replay, a retried dead
letter). A bitmap is a set: a frame written again, or a seq stored in both tables,
counts once, as ``uniqExact(seq)`` counted it. A row's day is its source row's
partition day (``toDate(occurred_at)``, UTC), so retention drops a day of it with the
events it stands for (:data:`DAY_COLUMN`). A warehouse written before this table
existed has it filled from both tables when a version with it first opens it
(:func:`fill`), before the views exist: nothing is counted twice.
"""

from __future__ import annotations

from clickhouse_connect.driver.client import Client

from benchtrail.projector import migrations

TABLE = "session_seqs"
DAY_COLUMN = "day"
"""The column whose UTC day partitions the table (what retention cuts by)."""
_VIEWS = ("session_seqs_of_events", "session_seqs_of_measurement_events")

_EVENTS_SELECT = """
    SELECT session_id, station_id, toDate(occurred_at) AS day,
           groupBitmapState(seq) AS seqs, max(occurred_at) AS last_at
    FROM {database}.events GROUP BY session_id, station_id, day
"""
_ENVELOPES_SELECT = """
    SELECT session_id, station_id, toDate(occurred_at) AS day,
           groupBitmapState(arrayJoin(range(seq, seq + more_events + 1))) AS seqs,
           max(greatest(occurred_at, last_at)) AS last_at
    FROM {database}.measurement_events GROUP BY session_id, station_id, day
"""
"""A series' row stands for ``more_events`` + 1 events (seqs counted up); its newest
event's time is ``last_at`` (0 in rows written before that column: then ``occurred_at``)."""


def create_statement(database: str, name: str = TABLE) -> str:
    """``CREATE TABLE IF NOT EXISTS`` of the table (under ``name``: one of the same shape)."""
    return f"""
        CREATE TABLE IF NOT EXISTS {database}.{name} (
            session_id String,
            station_id LowCardinality(String),
            {DAY_COLUMN} Date,
            seqs AggregateFunction(groupBitmap, UInt64),
            last_at SimpleAggregateFunction(max, DateTime64(9, 'UTC'))
        ) ENGINE = AggregatingMergeTree
        PARTITION BY toYYYYMMDD({DAY_COLUMN})
        ORDER BY (session_id, station_id, {DAY_COLUMN})
    """


def view_statements(database: str) -> list[str]:
    """The materialized views that add every insert into the two tables to this one."""
    return [
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.{view} TO {database}.{TABLE}"
        f" AS {select.format(database=database)}"
        for view, select in zip(_VIEWS, (_EVENTS_SELECT, _ENVELOPES_SELECT), strict=True)
    ]


def fill(client: Client, database: str) -> bool:
    """Make the table from ``events`` and ``measurement_events`` when it does not exist yet
    (a new warehouse, or one written by an earlier version); return whether it did.

    Run it after those tables exist and before the views are made
    (:func:`view_statements`), holding the warehouse's write turn: an insert between the
    fill and the views would be missed.
    """
    if migrations.present(client, database, TABLE):
        return False
    create = create_statement(database, TABLE + migrations.FILLING_SUFFIX)
    selects = [select.format(database=database) for select in (_EVENTS_SELECT, _ENVELOPES_SELECT)]
    what = "kept the stored seqs of each session"
    return migrations.fill_table(client, database, TABLE, create=create, selects=selects, what=what)


def event_counts_sql(database: str) -> str:
    """``SELECT session_id, n``: how many distinct seqs each session of
    ``{ids:Array(String)}`` has stored."""
    return f"""
        SELECT session_id, groupBitmapMerge(seqs) AS n FROM {database}.{TABLE}
        WHERE session_id IN {{ids:Array(String)}} GROUP BY session_id
    """


def last_events_sql(database: str) -> str:
    """``SELECT station_id, last_event``: each station's newest stored event time."""
    return (
        f"SELECT station_id, max(last_at) AS last_event FROM {database}.{TABLE} GROUP BY station_id"
    )

"""Measurement events rebuilt from the warehouse: their envelope and their ``measurements`` rows.

The projector keeps no JSON copy of ``measurement`` and ``measurement.batch``
events in ``events`` (their envelope goes to ``measurement_events``, their
points to ``measurements``). A session's event list rebuilds each such event
as the station sent it, encoded by the same Struct, so its JSON text is the
one a copy would have held. A warehouse written before that change still holds
the copies in ``events``: :func:`event_log` reads both tables, and a reader
keeps one row per ``seq``. A series of one run (a loop of ``measure()``, of one name or
many) has one envelope row for all its events, which :func:`measured_envelopes` expands;
each event's name is its point's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import pyarrow as pa

from benchtrail.api.queries._sql import Row
from benchtrail.projector import Warehouse
from benchtrail.schemas import DAY_NS, Event, Measurement, MeasurementBatch

__all__ = [
    "ENVELOPE_COLUMNS",
    "envelope_times",
    "event_log",
    "event_seqs",
    "measured_envelopes",
    "rebuild_payloads",
]

ENVELOPE_COLUMNS = (
    "event_id",
    "session_id",
    "station_id",
    "seq",
    "type",
    "occurred_at",
    "schema_version",
    "run_id",
    "stream_seq",
)
"""The columns ``events`` and ``measurement_events`` share: an event's envelope."""

_json = msgspec.json.Encoder()
_BATCH_SLACK_NS = 101 * DAY_NS
"""How far a batch's points can be from its ``occurred_at``: a frame touches at most
``max_frame_days`` (≤ 100) UTC days, the event's own time included."""
_POINT_COLUMNS = """
    event_id, name, toUnixTimestamp64Nano(ts) AS ts_ns, value, value_str, value_kind, unit,
    low, high, outcome, step, description, marginal_low, marginal_high, marginal
"""


_LOW_ID = "reinterpretAsUInt64(reverse(unhex(replaceAll(substring(first_id, 20), '-', ''))))"
_COUNTED_ID = "leftPad(lower(hex(" + _LOW_ID + " + k)), 16, '0')"
_EXPANDED = f"""
    if(k = 0, first_id, concat(substring(first_id, 1, 19), substring({_COUNTED_ID}, 1, 4), '-',
                               substring({_COUNTED_ID}, 5, 12))) AS event_id,
    session_id, station_id, first_seq + k AS seq, type,
    if(k = 0, first_at, point_times[k + 1]) AS occurred_at, schema_version, run_id, stream_seq
"""
"""An envelope of ``measurement_events`` per event it stands for (``k``: 0 for its own;
a series' envelope counts its ids up in their low 64 bits, as the station did)."""


def measured_envelopes(
    database: str, *, final: bool = False, extra: str = "", narrow: str = ""
) -> str:
    """``SELECT`` of one envelope per measurement event, from ``measurement_events``.

    A row of that table stands for its ``more_events`` + 1 consecutive events; this
    expands it. ``extra``: more of the table's columns; ``narrow``: a condition on its rows
    (``first_seq``, ``more_events``, ``session_id``...) applied before the expansion, so
    a read of a few events of a long series reads only the rows that hold them.
    """
    where = f" WHERE {narrow}" if narrow else ""
    return f"""SELECT {_EXPANDED}{", " + extra if extra else ""}
        FROM (SELECT event_id AS first_id, seq AS first_seq, occurred_at AS first_at,
                     session_id, station_id, type, schema_version, run_id, stream_seq,
                     more_events, point_times{", " + extra if extra else ""}
              FROM {database}.measurement_events{" FINAL" if final else ""}{where})
        ARRAY JOIN range(more_events + 1) AS k"""


def event_log(database: str, *, payload: bool = False, after_seq: bool = False) -> str:
    """A subquery of every event's envelope: ``events`` and ``measurement_events`` together.

    With ``payload``, also ``payload`` (empty for a measurement event: see
    :func:`rebuild_payloads`) and ``rebuild`` (1 for those). With ``after_seq``, only
    events of the session ``{session_id:String}`` after ``{after_seq:UInt64}`` (a reader
    paging through a session's events reads the envelopes those pages need). Rows are
    not deduplicated (no ``FINAL``): callers count distinct ``seq`` or keep one per ``seq``.
    """
    columns = ", ".join(ENVELOPE_COLUMNS)
    extra_raw = ", payload, 0 AS rebuild" if payload else ""
    extra_measured = ", '' AS payload, 1 AS rebuild" if payload else ""
    raw_where = narrow = ""
    if after_seq:
        raw_where = " WHERE session_id = {session_id:String} AND seq > {after_seq:UInt64}"
        narrow = "session_id = {session_id:String} AND seq + more_events > {after_seq:UInt64}"
    measured = measured_envelopes(database, narrow=narrow)
    return (
        f"(SELECT {columns}{extra_raw} FROM {database}.events{raw_where}"
        f" UNION ALL SELECT *{extra_measured} FROM ({measured}))"
    )


def event_seqs(database: str, where: str) -> str:
    """A subquery of the ``session_id`` and ``seq`` of every stored event matching ``where``
    (a condition on columns both tables have), from ``events`` and ``measurement_events``
    (a series' row gives the ``seq`` of each of its events): for counting a session's
    events (distinct ``seq``) without building their envelopes, in half the time of a
    count over :func:`event_log`. Rows are not deduplicated."""
    return (
        f"(SELECT session_id, seq FROM {database}.events WHERE {where}"
        " UNION ALL SELECT session_id, arrayJoin(range(seq, seq + more_events + 1)) AS seq"
        f" FROM {database}.measurement_events WHERE {where})"
    )


def envelope_times(database: str) -> str:
    """A subquery of every stored row's ``station_id``, ``stream_seq`` and newest event
    time ``at``, from ``events`` and ``measurement_events``, without expanding a series'
    envelope into its events: it keeps its newest event's time (``last_at``; a row written
    before ``last_at`` existed has 0 there and stands for one event)."""
    return (
        f"(SELECT station_id, stream_seq, occurred_at AS at FROM {database}.events"
        " UNION ALL SELECT station_id, stream_seq, greatest(occurred_at, last_at) AS at"
        f" FROM {database}.measurement_events)"
    )


def rebuild_payloads(
    warehouse: Warehouse, session_id: str, events: Sequence[tuple[str, int]]
) -> dict[str, str]:
    """The JSON text of measurement events of a session, by event id.

    ``events``: each one's event id and seq. Events whose envelope or points are not
    (yet) in the warehouse are left out.
    """
    if not events:
        return {}
    db = warehouse.database
    seqs = [seq for _, seq in events]
    parameters = {
        "session_id": session_id,
        "ids": [event_id for event_id, _ in events],
        "seqs": seqs,
        "first_seq": min(seqs),
        "last_seq": max(seqs),
    }
    narrow = (
        "session_id = {session_id:String} AND seq <= {last_seq:UInt64}"
        " AND seq + more_events >= {first_seq:UInt64}"
    )
    envelopes = warehouse.rows(
        f"""
        SELECT event_id, session_id, station_id, seq, type,
               toUnixTimestamp64Nano(occurred_at) AS occurred_at, schema_version, run_id,
               name, per_point_names
        FROM ({measured_envelopes(db, final=True, extra="name, per_point_names", narrow=narrow)})
        WHERE seq IN {{seqs:Array(UInt64)}} AND event_id IN {{ids:Array(String)}}
        LIMIT 1 BY event_id
        """,
        parameters,
    )
    if not envelopes:
        return {}
    stations = sorted({str(row["station_id"]) for row in envelopes})
    times = [int(row["occurred_at"]) for row in envelopes]
    # A single measurement's point is at its occurred_at; a batch's points are within the
    # days its frame may touch (at most 100), so only those day partitions are read.
    slack = 0 if all(row["type"] == "measurement" for row in envelopes) else _BATCH_SLACK_NS
    points = warehouse.arrow(
        f"""
        SELECT {_POINT_COLUMNS} FROM {db}.measurements FINAL
        WHERE station_id IN {{stations:Array(String)}} AND session_id = {{session_id:String}}
          AND ts BETWEEN fromUnixTimestamp64Nano({{first:Int64}}, 'UTC')
                     AND fromUnixTimestamp64Nano({{last:Int64}}, 'UTC')
          AND event_id IN {{ids:Array(String)}}
        ORDER BY event_id, point_index
        """,
        {
            **parameters,
            "stations": stations,
            "first": max(min(times) - slack, 0),
            "last": max(times) + slack,
        },
    )
    by_event = _group(points)
    payloads: dict[str, str] = {}
    for envelope in envelopes:
        rows = by_event.get(str(envelope["event_id"]))
        payload = None if rows is None else _rebuild(envelope, rows)
        if payload is not None:
            payloads[str(envelope["event_id"])] = payload
    return payloads


def _group(points: pa.Table) -> dict[str, dict[str, list[Any]]]:
    """Point columns (as Python lists) per event id, in ``point_index`` order."""
    if not points.num_rows:
        return {}
    columns = points.to_pydict()
    ids = columns["event_id"]
    grouped: dict[str, dict[str, list[Any]]] = {}
    start = 0
    for end in range(1, len(ids) + 1):
        if end == len(ids) or ids[end] != ids[start]:
            grouped[ids[start]] = {name: values[start:end] for name, values in columns.items()}
            start = end
    return grouped


def _rebuild(envelope: Row, rows: dict[str, list[Any]]) -> str | None:
    """One event's JSON text from its envelope and its points (``None``: a type not known here)."""
    build = _REBUILDERS.get(str(envelope["type"]))
    if build is None:
        return None
    common = {
        "event_id": str(envelope["event_id"]),
        "session_id": str(envelope["session_id"]),
        "station_id": str(envelope["station_id"]),
        "seq": int(envelope["seq"]),
        "occurred_at": int(envelope["occurred_at"]),
        "schema_version": int(envelope["schema_version"]),
        "run_id": str(envelope["run_id"]),
        "unit": rows["unit"][0],
        "low": rows["low"][0],
        "high": rows["high"][0],
        "step": rows["step"][0],
    }
    return _json.encode(build(envelope, rows, common)).decode()


def _measurement(envelope: Row, rows: dict[str, list[Any]], common: dict[str, Any]) -> Event:
    return Measurement(
        **common,
        name=rows["name"][0],
        value=_value(rows["value_kind"][0], rows["value"][0], rows["value_str"][0]),
        outcome=rows["outcome"][0],
        description=rows["description"][0],
        marginal_low=rows["marginal_low"][0],
        marginal_high=rows["marginal_high"][0],
        marginal=bool(rows["marginal"][0]),
    )


def _measurement_batch(envelope: Row, rows: dict[str, list[Any]], common: dict[str, Any]) -> Event:
    kind = rows["value_kind"][0]
    return MeasurementBatch(
        **common,
        name=str(envelope["name"]),
        names=list(rows["name"]) if envelope["per_point_names"] else [],
        values=[] if kind == "str" else list(rows["value"]),
        timestamps_ns=list(rows["ts_ns"]),
        kind=kind,
        texts=list(rows["value_str"]) if kind == "str" else [],
    )


_REBUILDERS: dict[str, Callable[[Row, dict[str, list[Any]], dict[str, Any]], Event]] = {
    "measurement": _measurement,
    "measurement.batch": _measurement_batch,
}
"""Event type → how it is rebuilt from its envelope and its ``measurements`` rows (in
``point_index`` order); one entry per type of the projector's ``MEASUREMENT_TAGS``."""


def _value(kind: str, number: float, text: str) -> float | int | bool | str:
    """A single measurement's value as recorded, from its stored number or text."""
    if kind == "str":
        return text
    if kind == "bool":
        return bool(number)
    if kind == "int":
        return int(number)
    return float(number)

"""Measurement events rebuilt from the warehouse: their envelope and their ``measurements`` rows.

The projector keeps no JSON copy of ``measurement`` and ``measurement.batch``
events in ``events`` (their envelope goes to ``measurement_events``, their
points to ``measurements``). A session's event list rebuilds each such event
as the station sent it, encoded by the same Struct, so its JSON text is the
one a copy would have held. A warehouse written before that change still holds
the copies in ``events``: :data:`EVENT_LOG` reads both tables, and a reader
keeps one row per ``seq``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import pyarrow as pa

from benchtrail.api.queries._sql import Row
from benchtrail.projector import Warehouse
from benchtrail.schemas import DAY_NS, Event, Measurement, MeasurementBatch

__all__ = ["ENVELOPE_COLUMNS", "event_log", "rebuild_payloads"]

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


def event_log(database: str, *, payload: bool = False) -> str:
    """A subquery of every event's envelope: ``events`` and ``measurement_events`` together.

    With ``payload``, also ``payload`` (empty for a measurement event: see
    :func:`rebuild_payloads`) and ``rebuild`` (1 for those). Rows are not
    deduplicated (no ``FINAL``): callers count distinct ``seq`` or keep one per ``seq``.
    """
    columns = ", ".join(ENVELOPE_COLUMNS)
    extra_raw = ", payload, 0 AS rebuild" if payload else ""
    extra_measured = ", '' AS payload, 1 AS rebuild" if payload else ""
    return (
        f"(SELECT {columns}{extra_raw} FROM {database}.events"
        f" UNION ALL SELECT {columns}{extra_measured} FROM {database}.measurement_events)"
    )


def rebuild_payloads(
    warehouse: Warehouse, session_id: str, event_ids: Sequence[str]
) -> dict[str, str]:
    """The JSON text of measurement events of a session, by event id.

    Events whose envelope or points are not (yet) in the warehouse are left out.
    """
    if not event_ids:
        return {}
    db = warehouse.database
    parameters = {"session_id": session_id, "ids": list(event_ids)}
    envelopes = warehouse.rows(
        f"""
        SELECT event_id, session_id, station_id, seq, type,
               toUnixTimestamp64Nano(occurred_at) AS occurred_at, schema_version, run_id,
               name, per_point_names
        FROM {db}.measurement_events FINAL
        WHERE session_id = {{session_id:String}} AND event_id IN {{ids:Array(String)}}
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

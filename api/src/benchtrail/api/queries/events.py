"""The raw events of a session, as the station sent them, in ``seq`` order."""

from __future__ import annotations

import msgspec

from benchtrail.api.errors import NotFound
from benchtrail.api.queries._sql import Where
from benchtrail.projector import Warehouse


class EventSlice(msgspec.Struct, frozen=True, kw_only=True):
    """Some events of a session: each one's JSON text, and where the next slice starts."""

    payloads: list[str]
    next_after_seq: int | None

    def json_array(self) -> bytes:
        """The events as one JSON array, spliced from the stored JSON without re-encoding."""
        return ("[" + ",".join(self.payloads) + "]").encode()


def session_events(
    warehouse: Warehouse,
    session_id: str,
    *,
    event_type: str | None = None,
    after_seq: int = 0,
    limit: int,
) -> EventSlice:
    """Events of a session with ``seq > after_seq`` (of one type, if given), up to ``limit``.

    Raises:
        NotFound: the warehouse holds no event of that session.
    """
    where = Where()
    where.equals("session_id", session_id)
    where.add("seq > {after_seq:UInt64}", after_seq=after_seq)
    where.equals("type", event_type)
    sql = f"""
        SELECT seq, payload FROM {warehouse.database}.events FINAL {where.sql()}
        ORDER BY seq LIMIT 1 BY seq LIMIT {{limit:UInt32}}
    """
    rows = warehouse.rows(sql, {**where.parameters, "limit": limit + 1})
    if not rows and not _session_exists(warehouse, session_id):
        raise NotFound("session", session_id)
    next_after_seq = int(rows[limit - 1]["seq"]) if len(rows) > limit else None
    return EventSlice(
        payloads=[row["payload"] for row in rows[:limit]], next_after_seq=next_after_seq
    )


def _session_exists(warehouse: Warehouse, session_id: str) -> bool:
    sql = f"""
        SELECT count() FROM (SELECT 1 FROM {warehouse.database}.events
                             WHERE session_id = {{session_id:String}} LIMIT 1)
    """
    return bool(warehouse.scalar(sql, {"session_id": session_id}))

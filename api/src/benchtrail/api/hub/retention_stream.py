"""Retention in the stream: purge the ``BT_EVENTS`` frames that hold only pruned events.

A replay of the stream rebuilds the warehouse, so a prune that left old frames in
the stream would see its data come back. JetStream purges a prefix of a stream
(``purge`` up to a sequence); the prefix that may go ends at the first frame that
still matters:

- the first frame holding an event of a kept day (the warehouse's ``events`` table
  says which frame each event came from: ``stream_seq``), or
- the first frame the projector has not written yet (after its consumer's ack floor,
  or after what this process's projector has written and acked, if that is further):
  nothing unprojected is ever lost.

Frames of old events that arrived after a newer frame (a station whose clock was
behind, a late upload) stay until the prefix reaches them; the stream's ``max_age``
(30 days by default, by arrival time) removes them in any case.
"""

from __future__ import annotations

import asyncio

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from benchtrail.api.models.prune import StreamTrim
from benchtrail.api.queries.measurement_events import envelope_times
from benchtrail.projector import Warehouse
from benchtrail.schemas import EVENTS_STREAM

_UNPROJECTED = "frames after sequence {floor} are not in the warehouse yet: kept"
_NO_CONSUMER = "the projector's consumer {durable!r} does not exist: nothing purged"


async def trim_stream(
    js: JetStreamContext,
    warehouse: Warehouse,
    before_ns: int,
    *,
    durable: str,
    dry_run: bool,
    written_through: int = 0,
) -> StreamTrim:
    """Purge (or, in a dry run, count) the frames before the first one still needed.

    Args:
        js: JetStream of the hub.
        warehouse: the warehouse the projector writes (blocking; queried in a thread).
        before_ns: events at or after this time are kept, and so are their frames.
        durable: the projector's durable consumer, whose ack floor bounds the purge.
        dry_run: change nothing.
        written_through: every frame up to this one is written by a projector of this
            process (its acks may still be on their way to the hub's ack floor).
    """
    info = await js.stream_info(EVENTS_STREAM)
    first, last = int(info.state.first_seq), int(info.state.last_seq)
    acked = await _ack_floor(js, durable)
    if acked is None:
        return StreamTrim(
            stream=EVENTS_STREAM,
            first_seq=first,
            kept_from=first,
            messages=0,
            ingested_through=0,
            note=_NO_CONSUMER.format(durable=durable),
        )
    floor = max(acked, written_through)
    needed = await asyncio.to_thread(first_needed, warehouse, before_ns, floor)
    kept_from = max(first, floor + 1 if needed is None else needed)
    messages = kept_from - first
    if messages > 0 and not dry_run:
        await js.purge_stream(EVENTS_STREAM, seq=kept_from)
    note = _UNPROJECTED.format(floor=floor) if needed is None and last > floor else ""
    return StreamTrim(
        stream=EVENTS_STREAM,
        first_seq=first,
        kept_from=kept_from,
        messages=messages,
        ingested_through=floor,
        note=note,
    )


def first_needed(warehouse: Warehouse, before_ns: int, floor: int) -> int | None:
    """The first frame (up to ``floor``) holding an event at or after ``before_ns``, if any."""
    value = warehouse.scalar(
        f"SELECT minOrNull(stream_seq) FROM {envelope_times(warehouse.database)}"
        " WHERE at >= fromUnixTimestamp64Nano({before_ns:Int64}, 'UTC')"
        " AND stream_seq <= {floor:UInt64}",
        {"before_ns": before_ns, "floor": floor},
    )
    return None if value is None else int(value)


async def _ack_floor(js: JetStreamContext, durable: str) -> int | None:
    """Every frame up to this sequence is written (or dead-lettered); ``None``: no consumer."""
    try:
        info = await js.consumer_info(EVENTS_STREAM, durable)
    except NotFoundError:
        return None
    return int(info.ack_floor.stream_seq) if info.ack_floor else 0

"""Dead letters: what the projector cannot use, kept in ``BT_DEAD`` with the reason.

A dead letter lives on ``bt.dead.<station>.<session>`` with headers naming the
reason (``<code>: <text>``), the original subject and the original stream
sequence. Two kinds:

- a whole message (bad subject, bytes that are not a msgpack array, an empty
  frame, a frame the warehouse refused on its last delivery) keeps the
  original bytes; its ``Nats-Msg-Id`` is ``dead:<stream seq>``;
- one event of a frame keeps a frame of that one event (a msgpack array of the
  event's original bytes), so a retry can publish it as a frame; it has the
  header ``Bt-Dead-Event-Index`` (its position in the original frame) and the
  ``Nats-Msg-Id`` ``dead:<stream seq>:<index>``.

The ids make a redelivered original collapse into the dead letters it already
has (within ``BT_DEAD``'s duplicate window).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import PubAck

from benchtrail.projector.frames import RejectedEvent, single_event_frame
from benchtrail.schemas import (
    DEAD_EVENT_INDEX_HEADER,
    DEAD_REASON_HEADER,
    DEAD_SEQUENCE_HEADER,
    DEAD_STREAM,
    DEAD_SUBJECT_HEADER,
    MSG_ID_HEADER,
    dead_subject,
)

MAX_REASON_CHARS = 1000
"""Longest reason kept in the header; longer ones are cut."""
ACK_TIMEOUT = 5.0
"""Seconds to wait for ``BT_DEAD`` to store a dead letter."""
_HEADER_ROOM = 2048
"""Bytes kept free for headers when a dead letter would exceed the hub's max payload."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def dead_msg_id(stream_seq: int, index: int | None = None) -> str:
    """``Nats-Msg-Id`` of the dead letter of the ``BT_EVENTS`` message at ``stream_seq``.

    ``dead:<stream seq>`` for the whole message, ``dead:<stream seq>:<index>`` for
    the event at ``index`` of its frame.
    """
    return f"dead:{stream_seq}" if index is None else f"dead:{stream_seq}:{index}"


def header_text(text: str) -> str:
    """Text made safe for a header value: one line, at most :data:`MAX_REASON_CHARS`."""
    line = _CONTROL.sub(" ", text).strip()
    return line if len(line) <= MAX_REASON_CHARS else line[: MAX_REASON_CHARS - 1] + "…"


def dead_letter_headers(
    subject: str, stream_seq: int, reason: str, index: int | None = None
) -> dict[str, str]:
    """Headers of a dead letter: reason, original subject and sequence, event index, dedup id."""
    headers = {
        DEAD_REASON_HEADER: header_text(reason),
        DEAD_SUBJECT_HEADER: subject,
        DEAD_SEQUENCE_HEADER: str(stream_seq),
        MSG_ID_HEADER: dead_msg_id(stream_seq, index),
    }
    if index is not None:
        headers[DEAD_EVENT_INDEX_HEADER] = str(index)
    return headers


async def publish_dead_letter(
    js: JetStreamContext, msg: Msg, reason: str, *, max_payload: int
) -> PubAck:
    """Store a whole message's bytes in ``BT_DEAD`` with the reason; wait for the stream's ack.

    A message too large to carry the extra headers within the hub's
    ``max_payload`` is kept truncated, and the reason says so.

    Args:
        js: JetStream context to publish with.
        msg: the ``BT_EVENTS`` message that cannot be projected.
        reason: why, e.g. ``"undecodable: ..."``.
        max_payload: the hub's largest message (``nc.max_payload``).

    Raises:
        nats.errors.Error: the dead letter was not stored (the caller keeps the original).
    """
    return await _publish(js, msg, msg.data, reason, index=None, max_payload=max_payload)


async def publish_event_dead_letters(
    js: JetStreamContext, msg: Msg, rejected: Sequence[RejectedEvent], *, max_payload: int
) -> list[PubAck]:
    """Store each rejected event of a frame as a dead letter of its own; wait for every ack.

    Each body is a frame of that one event (its original bytes in a msgpack array).

    Raises:
        nats.errors.Error: a dead letter was not stored (the caller keeps the original;
            those stored are dropped as duplicates when it comes again).
    """
    return await asyncio.gather(
        *(
            _publish(
                js,
                msg,
                single_event_frame(bad.data),
                bad.reason,
                index=bad.index,
                max_payload=max_payload,
            )
            for bad in rejected
        )
    )


async def _publish(
    js: JetStreamContext,
    msg: Msg,
    data: bytes,
    reason: str,
    *,
    index: int | None,
    max_payload: int,
) -> PubAck:
    stream_seq = msg.metadata.sequence.stream
    room = max_payload - _HEADER_ROOM
    if len(data) > room:
        reason = f"{reason} (dead letter keeps the first {room} of {len(data)} bytes)"
        data = data[:room]
    headers = dead_letter_headers(msg.subject, stream_seq, reason, index)
    return await js.publish(
        dead_subject(msg.subject), data, timeout=ACK_TIMEOUT, stream=DEAD_STREAM, headers=headers
    )

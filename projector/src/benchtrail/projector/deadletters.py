"""Dead letters: messages the projector cannot use, kept in ``BT_DEAD`` with the reason.

A dead letter holds the original bytes on ``bt.dead.<station>.<session>``
with headers naming the reason, the original subject and the original stream
sequence. Its ``Nats-Msg-Id`` is ``dead:<stream seq>``, so a redelivered
original is not dead-lettered twice (within ``BT_DEAD``'s duplicate window).
"""

from __future__ import annotations

import re

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import PubAck

from benchtrail.schemas import (
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


def dead_msg_id(stream_seq: int) -> str:
    """``Nats-Msg-Id`` of the dead letter of the ``BT_EVENTS`` message at ``stream_seq``."""
    return f"dead:{stream_seq}"


def header_text(text: str) -> str:
    """Text made safe for a header value: one line, at most :data:`MAX_REASON_CHARS`."""
    line = _CONTROL.sub(" ", text).strip()
    return line if len(line) <= MAX_REASON_CHARS else line[: MAX_REASON_CHARS - 1] + "…"


def dead_letter_headers(subject: str, stream_seq: int, reason: str) -> dict[str, str]:
    """Headers of a dead letter: reason, original subject and sequence, dedup id."""
    return {
        DEAD_REASON_HEADER: header_text(reason),
        DEAD_SUBJECT_HEADER: subject,
        DEAD_SEQUENCE_HEADER: str(stream_seq),
        MSG_ID_HEADER: dead_msg_id(stream_seq),
    }


async def publish_dead_letter(
    js: JetStreamContext, msg: Msg, reason: str, *, max_payload: int
) -> PubAck:
    """Store a message's bytes in ``BT_DEAD`` with the reason; wait for the stream's ack.

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
    stream_seq = msg.metadata.sequence.stream
    data = msg.data
    room = max_payload - _HEADER_ROOM
    if len(data) > room:
        reason = f"{reason} (dead letter keeps the first {room} of {len(data)} bytes)"
        data = data[:room]
    headers = dead_letter_headers(msg.subject, stream_seq, reason)
    return await js.publish(
        dead_subject(msg.subject), data, timeout=ACK_TIMEOUT, stream=DEAD_STREAM, headers=headers
    )

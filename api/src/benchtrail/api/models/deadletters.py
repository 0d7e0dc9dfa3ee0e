"""Bodies of the dead-letter endpoints (``/api/dead-letters``), shared with the Python client."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

DeadLetterOrder = Literal["oldest", "newest"]
"""Order of a dead-letter listing: by sequence in ``BT_DEAD``, oldest or newest first."""


class DeadLetterView(msgspec.Struct, frozen=True, kw_only=True):
    """One dead letter of ``BT_DEAD``, as listed.

    Attributes:
        seq: its sequence in ``BT_DEAD`` (what ``show`` and ``retry`` take).
        time: when it was stored.
        reason_code: the stable reason code, e.g. ``non-finite`` or ``undecodable``.
        reason: what exactly was wrong (the text after the code).
        subject: the subject the original message was published on.
        original_seq: the original message's sequence in ``BT_EVENTS``.
        event_index: the event's position in the original frame; ``None`` when the
            dead letter holds the whole message.
        size: bytes of the dead letter's body.
    """

    seq: int
    time: datetime
    reason_code: str
    reason: str
    subject: str
    original_seq: int | None
    event_index: int | None
    size: int


class DeadLetterPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of dead letters; pass ``next_cursor`` as ``after`` for the next one."""

    items: list[DeadLetterView]
    next_cursor: int | None = None


class DeadLetterDetail(DeadLetterView, frozen=True, kw_only=True):
    """One dead letter with its content.

    Attributes:
        events: the events of the body decoded as JSON (loosely: a refused event
            shows as it was sent), when the body is a msgpack array; else ``None``.
        preview_hex: the first bytes of the body in hex, when it is not.
        preview_base64: the first bytes of the body in base64, when it is not.
    """

    events: list[object] | None = None
    preview_hex: str = ""
    preview_base64: str = ""


class RetriedLetter(msgspec.Struct, frozen=True, kw_only=True):
    """A dead letter published again to its original subject.

    Attributes:
        seq: its sequence in ``BT_DEAD`` (now deleted there).
        subject: where it was published.
        stream_seq: its new sequence in ``BT_EVENTS``.
        duplicate: the hub had it already (the same retry within the duplicate window).
    """

    seq: int
    subject: str
    stream_seq: int
    duplicate: bool


class RetryResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a retry published; an event still invalid is simply dead-lettered again."""

    retried: list[RetriedLetter]
    count: int

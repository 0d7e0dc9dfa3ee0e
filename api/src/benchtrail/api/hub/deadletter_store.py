"""Reading and retrying ``BT_DEAD`` over JetStream (the hub's connection).

Listing walks the stream with "next message at or after" requests (deleted
sequences cost nothing) or, newest first, message by message downwards.
A retry publishes the dead letter's body to its original subject with
``Nats-Msg-Id: retry:<dead seq>`` and ``Bt-Retry-Of: <dead seq>``, waits for
``BT_EVENTS`` to acknowledge it, then deletes the dead letter. An event that is
still invalid simply comes back as a new dead letter.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import msgspec
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg
from nats.js.errors import BadRequestError, NotFoundError

from benchtrail.api.errors import BadParameter, NotFound
from benchtrail.api.models.deadletters import (
    DeadLetterDetail,
    DeadLetterOrder,
    DeadLetterPage,
    DeadLetterView,
    RetriedLetter,
)
from benchtrail.schemas import (
    DEAD_EVENT_INDEX_HEADER,
    DEAD_REASON_HEADER,
    DEAD_SEQUENCE_HEADER,
    DEAD_STREAM,
    DEAD_SUBJECT_HEADER,
    DEAD_SUBJECTS,
    EVENTS_STREAM,
    MSG_ID_HEADER,
    RETRY_OF_HEADER,
    InvalidSubject,
    NotAnEventSubject,
    dead_subject_filter,
    event_subject,
    parse_event_subject,
)

MAX_SEQ = 2**63 - 1
"""Largest stream sequence asked for."""
PREVIEW_BYTES = 256
"""Bytes of a body shown when it is not a msgpack array."""
RETRY_CONCURRENCY = 64
"""Retries in flight at once."""
_ACK_TIMEOUT = 5.0
_raw_frame = msgspec.msgpack.Decoder(list[msgspec.Raw])
_loose = msgspec.msgpack.Decoder()
_json = msgspec.json.Encoder()

Keep = Callable[[DeadLetterView], bool]


def view(msg: RawStreamMsg) -> DeadLetterView:
    """The listing fields of a dead letter read from ``BT_DEAD``."""
    headers = msg.headers or {}
    code, _, text = str(headers.get(DEAD_REASON_HEADER, "")).partition(": ")
    return DeadLetterView(
        seq=msg.seq or 0,
        time=msg.time or datetime.fromtimestamp(0, UTC),
        reason_code=code,
        reason=text,
        subject=str(headers.get(DEAD_SUBJECT_HEADER, "")),
        original_seq=_int(headers.get(DEAD_SEQUENCE_HEADER)),
        event_index=_int(headers.get(DEAD_EVENT_INDEX_HEADER)),
        size=len(msg.data or b""),
    )


def detail(msg: RawStreamMsg) -> DeadLetterDetail:
    """A dead letter with its events decoded as JSON, or a preview of its bytes."""
    data = msg.data or b""
    events = _loose_events(data)
    head = data[:PREVIEW_BYTES]
    return DeadLetterDetail(
        **msgspec.structs.asdict(view(msg)),
        events=events,
        preview_hex="" if events is not None else head.hex(),
        preview_base64="" if events is not None else base64.b64encode(head).decode(),
    )


def keep_all(letter: DeadLetterView) -> bool:
    """A filter keeping every dead letter."""
    return True


def reason_filter(code: str | None) -> Keep:
    """A filter keeping dead letters of reason code ``code`` (all of them if ``None``)."""
    if code is None:
        return keep_all
    return lambda letter: letter.reason_code == code


def dead_filter(subject: str | None) -> str:
    """The ``BT_DEAD`` subject filter for an original subject filter (``bt.evt.cell-7.>``).

    Raises:
        BadParameter: ``subject`` is not a filter of event subjects.
    """
    if subject is None:
        return DEAD_SUBJECTS
    try:
        return dead_subject_filter(subject)
    except NotAnEventSubject as e:
        raise BadParameter("subject", subject, e.expected) from e


def parse_seq(text: str) -> int:
    """A dead letter's sequence from a URL path segment.

    Raises:
        NotFound: the text is not a sequence (so no dead letter has it).
    """
    if not text.isdecimal() or not 0 < int(text) <= MAX_SEQ:
        raise NotFound("dead letter", text)
    return int(text)


async def get(js: JetStreamContext, seq: int) -> RawStreamMsg:
    """The dead letter at ``seq`` of ``BT_DEAD``.

    Raises:
        NotFound: there is none (never stored, retried or expired).
    """
    try:
        return await js.get_msg(DEAD_STREAM, seq)
    except (NotFoundError, BadRequestError) as e:
        raise NotFound("dead letter", str(seq)) from e


async def page(
    js: JetStreamContext,
    *,
    keep: Keep,
    subject: str | None,
    limit: int,
    after: int | None,
    order: DeadLetterOrder,
) -> DeadLetterPage:
    """One page of dead letters that ``keep`` accepts, from past the cursor ``after``."""
    walk = _forward(js, dead_filter(subject), after or 0)
    if order == "newest":
        walk = _backward(js, dead_filter(subject), after)
    items: list[DeadLetterView] = []
    async for msg in walk:
        letter = view(msg)
        if keep(letter):
            items.append(letter)
            if len(items) == limit:
                return DeadLetterPage(items=items, next_cursor=letter.seq)
    return DeadLetterPage(items=items)


async def retry(js: JetStreamContext, seq: int) -> RetriedLetter:
    """Publish the dead letter at ``seq`` to its original subject again, then delete it.

    Raises:
        NotFound: no dead letter at ``seq``.
        BadParameter: the dead letter does not say where it came from, or its
            original subject is not an event subject ``bt.evt.<station>.<session>``
            (a retry never publishes anywhere else).
    """
    msg = await get(js, seq)
    subject = _retry_subject(seq, (msg.headers or {}).get(DEAD_SUBJECT_HEADER))
    headers = {MSG_ID_HEADER: f"retry:{seq}", RETRY_OF_HEADER: str(seq)}
    ack = await js.publish(
        subject, msg.data or b"", timeout=_ACK_TIMEOUT, stream=EVENTS_STREAM, headers=headers
    )
    with contextlib.suppress(NotFoundError):  # retried meanwhile: Nats-Msg-Id kept it single
        await js.delete_msg(DEAD_STREAM, seq)
    return RetriedLetter(
        seq=seq, subject=subject, stream_seq=ack.seq, duplicate=bool(ack.duplicate)
    )


def _retry_subject(seq: int, subject: str | None) -> str:
    """The event subject a dead letter goes back to: exactly ``bt.evt.<station>.<session>``."""
    if not subject:
        raise BadParameter("seq", seq, "a dead letter with a Bt-Original-Subject header")
    try:
        rebuilt = event_subject(*parse_event_subject(subject))
    except (NotAnEventSubject, InvalidSubject) as e:
        raise BadParameter("seq", seq, f"a dead letter of an event subject, not {subject!r}") from e
    if rebuilt != subject:
        raise BadParameter("seq", seq, f"a dead letter of an event subject, not {subject!r}")
    return subject


async def retry_many(js: JetStreamContext, seqs: list[int]) -> list[RetriedLetter]:
    """Retry each dead letter of ``seqs`` (at most :data:`RETRY_CONCURRENCY` at once)."""
    retried: list[RetriedLetter] = []
    for start in range(0, len(seqs), RETRY_CONCURRENCY):
        chunk = seqs[start : start + RETRY_CONCURRENCY]
        retried += await asyncio.gather(*(retry(js, seq) for seq in chunk))
    return retried


async def matching(js: JetStreamContext, keep: Keep) -> list[int]:
    """The sequences of every dead letter ``keep`` accepts, oldest first."""
    return [msg.seq or 0 async for msg in _forward(js, DEAD_SUBJECTS, 0) if keep(view(msg))]


async def _forward(js: JetStreamContext, subject: str, after: int) -> AsyncIterator[RawStreamMsg]:
    seq = after + 1
    while seq <= MAX_SEQ:
        try:
            msg = await js.get_msg(DEAD_STREAM, seq, subject=subject, next=True)
        except NotFoundError:
            return
        except BadRequestError as e:
            raise BadParameter("subject", subject, "a valid NATS subject filter") from e
        yield msg
        seq = (msg.seq or seq) + 1


async def _backward(
    js: JetStreamContext, subject: str, before: int | None
) -> AsyncIterator[RawStreamMsg]:
    info = await js.stream_info(DEAD_STREAM)
    first = max(info.state.first_seq, 1)
    seq = min(info.state.last_seq, (before or MAX_SEQ + 1) - 1)
    while seq >= first:
        try:
            msg = await js.get_msg(DEAD_STREAM, seq)
        except NotFoundError:
            seq -= 1
            continue
        if subject == DEAD_SUBJECTS or _matches(subject, msg.subject or ""):
            yield msg
        seq -= 1


def _matches(pattern: str, subject: str) -> bool:
    """Whether a NATS subject matches a filter with ``*`` and ``>`` wildcards."""
    want, have = pattern.split("."), subject.split(".")
    for index, token in enumerate(want):
        if token == ">":
            return len(have) > index
        if index >= len(have) or (token not in {"*", have[index]}):
            return False
    return len(want) == len(have)


def _loose_events(data: bytes) -> list[object] | None:
    try:
        elements = _raw_frame.decode(data)
    except msgspec.DecodeError:
        return None
    events: list[object] = []
    for element in elements:
        try:
            events.append(msgspec.json.decode(_json.encode(_loose.decode(element))))
        except (msgspec.DecodeError, msgspec.EncodeError, TypeError, ValueError):
            events.append({"undecodable": bytes(element).hex()[: 2 * PREVIEW_BYTES]})
    return events


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None

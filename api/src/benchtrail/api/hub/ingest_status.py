"""What ``GET /api/health/ingest`` and ``GET /api/health/checksums`` read from the hub.

The stream and consumer state come from JetStream (``stream_info``, ``consumer_info``);
the newest dead letters' reasons from the headers of the last few ``BT_DEAD``
messages; ingestion progress from the projector of this process when there is one,
else from its consumer's ack floor. Every hub question that fails leaves its field
``None`` and says why, so the warehouse's part (seq gaps) is answered regardless.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from datetime import datetime
from typing import TypeVar

import nats.errors
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from benchtrail.api.hub.hublink import HubLink
from benchtrail.api.models.ingest import (
    LAG_GRACE_S,
    ConsumerLag,
    DeadLetter,
    DeadLetters,
    IngestHealth,
    IngestStatus,
    SeqGaps,
    StreamState,
    WarehouseChecksums,
)
from benchtrail.api.queries import ingest as ingest_queries
from benchtrail.api.timestamps import ns_to_datetime
from benchtrail.projector import Warehouse
from benchtrail.schemas import (
    DEAD_REASON_HEADER,
    DEAD_SEQUENCE_HEADER,
    DEAD_STREAM,
    DEAD_SUBJECT_HEADER,
    EVENTS_STREAM,
    PROJECTOR_DURABLE,
)

NEWEST_DEAD_LETTERS = 5
"""Dead letters whose reasons ``GET /api/health/ingest`` shows."""
NO_HUB = "this API runs without a hub connection"
PROJECTOR_ELSEWHERE = "the projector runs in another process (see its log)"
_HUB_ERRORS = (nats.errors.Error, TimeoutError)
_TIMEOUT = 2.0
T = TypeVar("T")


class HubProgress:
    """What the hub says about ingestion; each part ``None`` with a reason if unknown."""

    def __init__(self) -> None:
        self.stream: StreamState | None = None
        self.consumer: ConsumerLag | None = None
        self.dead_letters: DeadLetters | None = None
        self.ingested_through: int | None = None
        self.last_ingest_ns: int | None = None
        self.last_error: str | None = None
        self.unwritten_age_s: float | None = None
        self.unavailable: dict[str, str] = {}

    def missing(self, reason: str, *fields: str) -> None:
        """Mark ``fields`` as unknown, for ``reason``."""
        for field in fields:
            self.unavailable.setdefault(field, reason)


async def read_hub(hub_link: HubLink | None, newest: int = NEWEST_DEAD_LETTERS) -> HubProgress:
    """Stream, consumer, dead letters and the projector's progress, as far as reachable."""
    found = HubProgress()
    if hub_link is None:
        found.missing(NO_HUB, "stream", "consumer", "dead_letters", "ingested_through")
        found.missing(NO_HUB, "last_ingest_at", "last_ingest_age_s", "last_error")
        return found
    js = hub_link.js
    projector = hub_link.projector
    durable = projector.settings.durable if projector is not None else PROJECTOR_DURABLE
    found.stream = await _ask(found, "stream", stream_state(js, EVENTS_STREAM))
    found.consumer = await _ask(found, "consumer", consumer_lag(js, durable))
    found.dead_letters = await _ask(found, "dead_letters", dead_letters(js, newest))
    if projector is not None:
        stats = projector.stats
        found.ingested_through = stats.ingested_through
        found.last_ingest_ns = stats.last_ingest_at_ns or None
        found.last_error = stats.last_error
        if not stats.last_ingest_at_ns:
            found.missing("nothing written since the hub started", "last_ingest_at")
            found.missing("nothing written since the hub started", "last_ingest_age_s")
    else:
        found.ingested_through = found.consumer.ack_floor if found.consumer else None
        found.missing(PROJECTOR_ELSEWHERE, "last_ingest_at", "last_ingest_age_s", "last_error")
        if found.consumer is None:
            found.missing(found.unavailable["consumer"], "ingested_through")
    found.unwritten_age_s = await _unwritten_age(js, found)
    return found


async def _unwritten_age(js: JetStreamContext, found: HubProgress) -> float | None:
    """Seconds the oldest stream message not written yet has waited; ``None`` if none or unknown.

    A message can be behind ``ingested_through`` for a moment on a healthy hub (the
    projector writes a batch every 0.2 s or so): its age tells that from a stuck projector.
    """
    if found.stream is None or found.ingested_through is None:
        return None
    oldest = max(found.ingested_through + 1, found.stream.first_seq)
    if oldest > found.stream.last_seq:
        return None
    try:
        message = await js.get_msg(EVENTS_STREAM, oldest)
    except (NotFoundError, *_HUB_ERRORS):
        return None
    if message.time is None:
        return None
    return max(time.time() - message.time.timestamp(), 0.0)


async def _ask(found: HubProgress, field: str, question: Awaitable[T]) -> T | None:
    """The answer to ``question``; ``None`` (and ``field`` marked unknown) if the hub fails."""
    try:
        return await question
    except NotFoundError as e:
        found.missing(f"not found on the hub: {e.description or e}", field)
    except _HUB_ERRORS as e:
        found.missing(f"the hub did not answer: {e!r}", field)
    return None


async def stream_state(js: JetStreamContext, stream: str) -> StreamState:
    """First and last sequence, messages and bytes of ``stream``."""
    state = (await js.stream_info(stream)).state
    return StreamState(
        stream=stream,
        first_seq=int(state.first_seq),
        last_seq=int(state.last_seq),
        messages=int(state.messages),
        bytes=int(state.bytes),
    )


async def consumer_lag(js: JetStreamContext, durable: str) -> ConsumerLag:
    """Pending, ack-pending and redelivered counts, ack floor and delivered of a consumer."""
    info = await js.consumer_info(EVENTS_STREAM, durable, timeout=_TIMEOUT)
    return ConsumerLag(
        durable=durable,
        num_pending=info.num_pending or 0,
        num_ack_pending=info.num_ack_pending or 0,
        num_redelivered=info.num_redelivered or 0,
        ack_floor=info.ack_floor.stream_seq if info.ack_floor else 0,
        delivered=info.delivered.stream_seq if info.delivered else 0,
    )


async def dead_letters(js: JetStreamContext, newest: int) -> DeadLetters:
    """How many messages ``BT_DEAD`` keeps, and the headers of the newest ``newest``."""
    state = await stream_state(js, DEAD_STREAM)
    found: list[DeadLetter] = []
    seq = state.last_seq
    while seq >= max(state.first_seq, 1) and len(found) < newest:
        try:
            message = await js.get_msg(DEAD_STREAM, seq)
        except NotFoundError:  # deleted (e.g. retried); look further back
            seq -= 1
            continue
        found.append(_dead_letter(seq, message.headers or {}, message.time))
        seq -= 1
    return DeadLetters(count=state.messages, newest=found)


def _dead_letter(seq: int, headers: dict[str, str], stored_at: datetime | None) -> DeadLetter:
    original = headers.get(DEAD_SEQUENCE_HEADER, "")
    return DeadLetter(
        dead_seq=seq,
        reason=headers.get(DEAD_REASON_HEADER, ""),
        original_subject=headers.get(DEAD_SUBJECT_HEADER, ""),
        original_seq=int(original) if original.isdigit() else None,
        stored_at=stored_at,
    )


def judge(hub: HubProgress, gaps: SeqGaps) -> tuple[IngestStatus, list[str]]:
    """The overall status (the worst problem) and one sentence per problem."""
    problems: list[tuple[IngestStatus, str]] = []
    if gaps.sessions_with_gaps:
        problems.append(
            ("gaps", f"{gaps.sessions_with_gaps} session(s) miss {gaps.missing_events} event(s)")
        )
    if gaps.sessions_without_start:
        problems.append(
            ("gaps", f"{gaps.sessions_without_start} session(s) have no start event stored")
        )
    if hub.dead_letters is not None and hub.dead_letters.count:
        problems.append(
            ("dead-letters", f"{DEAD_STREAM} holds {hub.dead_letters.count} message(s)")
        )
    if hub.stream is not None and hub.ingested_through is not None:
        behind = hub.stream.last_seq - hub.ingested_through
        waited = hub.unwritten_age_s
        if behind > 0 and (waited is None or waited > LAG_GRACE_S):
            since = f", the oldest for {waited:.1f} s" if waited is not None else ""
            problems.append(
                ("lagging", f"{behind} stream message(s) not in the warehouse yet{since}")
            )
    order: list[IngestStatus] = ["gaps", "dead-letters", "lagging"]
    statuses = {status for status, _ in problems}
    status: IngestStatus = next((s for s in order if s in statuses), "ok")
    return status, [sentence for _, sentence in problems]


def ingest_health(hub: HubProgress, gaps: SeqGaps) -> IngestHealth:
    """The body of ``GET /api/health/ingest`` from what the hub and the warehouse said."""
    status, problems = judge(hub, gaps)
    last_at = ns_to_datetime(hub.last_ingest_ns) if hub.last_ingest_ns else None
    age = (time.time_ns() - hub.last_ingest_ns) / 1e9 if hub.last_ingest_ns else None
    return IngestHealth(
        status=status,
        problems=problems,
        stream=hub.stream,
        consumer=hub.consumer,
        ingested_through=hub.ingested_through,
        last_ingest_at=last_at,
        last_ingest_age_s=round(age, 3) if age is not None else None,
        last_error=hub.last_error,
        unwritten_age_s=round(hub.unwritten_age_s, 3) if hub.unwritten_age_s is not None else None,
        dead_letters=hub.dead_letters,
        gaps=gaps,
        unavailable=hub.unavailable,
    )


async def live_checksums(warehouse: Warehouse, hub_link: HubLink | None) -> WarehouseChecksums:
    """The warehouse's checksums, with the stream position they are valid for.

    ``ingested_through`` is read before the checksums and the stream's last sequence
    after them: if they are equal, nothing was published meanwhile and everything
    published before was in the warehouse, so the checksums are those of exactly
    the stream's messages up to that sequence.
    """
    before = await read_hub(hub_link, newest=0)
    tables = await asyncio.to_thread(ingest_queries.table_sums, warehouse)
    after = await read_hub(hub_link, newest=0)
    last = after.stream.last_seq if after.stream is not None else None
    through = before.ingested_through
    unavailable = {
        key: reason
        for key, reason in {**before.unavailable, **after.unavailable}.items()
        if key in ("stream", "ingested_through")
    }
    if "stream" in unavailable:
        unavailable["stream_last_seq"] = unavailable.pop("stream")
    caught_up = through == last if through is not None and last is not None else None
    return WarehouseChecksums(
        tables=tables,
        ingested_through=through,
        stream_last_seq=last,
        caught_up=caught_up,
        unavailable=unavailable,
    )

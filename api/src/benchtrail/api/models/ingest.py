"""Bodies of ``GET /api/health/ingest`` and ``GET /api/health/checksums``.

Shared by the server (:mod:`benchtrail.api.http.routes.health`) and the Python client
(:mod:`benchtrail.api.client.health`); plain msgspec Structs, no framework.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

IngestStatus = Literal["ok", "lagging", "gaps", "dead-letters"]
"""Overall state of ingestion, the worst that applies (in the order gaps, dead-letters,
lagging): ``gaps`` when a session's stored events do not form 1..N, ``dead-letters`` when
``BT_DEAD`` holds messages, ``lagging`` when a message of ``BT_EVENTS`` has waited
more than :data:`LAG_GRACE_S` seconds to be written (younger ones are in flight: a batch
is written every 0.2 s or so)."""

LAG_GRACE_S = 5.0
"""Seconds a stream message may wait for the projector before the status is ``lagging``."""


class StreamState(msgspec.Struct, frozen=True, kw_only=True):
    """What a JetStream stream holds now.

    Attributes:
        stream: its name (``BT_EVENTS``, ``BT_DEAD``).
        first_seq: the oldest sequence still kept (later than 1 after retention).
        last_seq: the newest sequence (0 while empty).
        messages: messages kept.
        bytes: their size.
    """

    stream: str
    first_seq: int
    last_seq: int
    messages: int
    bytes: int


class ConsumerLag(msgspec.Struct, frozen=True, kw_only=True):
    """How far the projector's durable consumer is behind the stream.

    Attributes:
        durable: the consumer's name (``bt-projector``).
        num_pending: messages not delivered to a projector yet.
        num_ack_pending: messages delivered and not acknowledged yet (being written).
        num_redelivered: messages delivered more than once (failed writes, crashes).
        ack_floor: every stream sequence up to this one is acknowledged.
        delivered: the last stream sequence delivered.
    """

    durable: str
    num_pending: int
    num_ack_pending: int
    num_redelivered: int
    ack_floor: int
    delivered: int


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    """One message kept in ``BT_DEAD``, as its headers describe it.

    Attributes:
        dead_seq: its sequence in ``BT_DEAD``.
        reason: why the projector could not use it (``Bt-Dead-Reason``).
        original_subject: the subject it came on (``Bt-Original-Subject``).
        original_seq: its sequence in ``BT_EVENTS`` (``Bt-Original-Sequence``), if given.
        stored_at: when ``BT_DEAD`` stored it.
    """

    dead_seq: int
    reason: str
    original_subject: str
    original_seq: int | None
    stored_at: datetime | None


class DeadLetters(msgspec.Struct, frozen=True, kw_only=True):
    """The dead-letter stream: how many messages it keeps, and the newest few.

    Attributes:
        count: messages in ``BT_DEAD``.
        newest: the newest ones, newest first.
    """

    count: int
    newest: list[DeadLetter]


class MissingRange(msgspec.Struct, frozen=True, kw_only=True):
    """Sequences ``first`` to ``last`` (both included) of a session are not stored."""

    first: int
    last: int


class SessionGap(msgspec.Struct, frozen=True, kw_only=True):
    """A session whose stored events do not form 1..N, or that has no start event.

    Attributes:
        session_id: the session (or observation window, or registered file).
        station_id: its station.
        stored: distinct ``seq`` values stored.
        max_seq: the highest ``seq`` stored.
        expected_last: the last ``seq`` the session should have: ``max_seq``, or the
            ``event_count`` its ``session.ended`` reports if that is higher.
        missing: sequences missing between 1 and ``expected_last``.
        start_missing: no ``session.started`` (nor ``window.created`` /
            ``file.registered``) is stored: its first events are late, or lost.
        ended: a ``session.ended`` is stored.
        ranges: the missing ranges, lowest first (at most the request's ``ranges``).
        more_ranges: missing ranges not listed.
        first_at: time of its earliest stored event.
        last_at: time of its latest stored event.
    """

    session_id: str
    station_id: str
    stored: int
    max_seq: int
    expected_last: int
    missing: int
    start_missing: bool
    ended: bool
    ranges: list[MissingRange]
    more_ranges: int
    first_at: datetime
    last_at: datetime


class SeqGaps(msgspec.Struct, frozen=True, kw_only=True):
    """Per-session ``seq`` gaps among the sessions with events since ``since``.

    Attributes:
        since: start of the window (the UTC day of the ``since`` asked for).
        sessions_checked: sessions with at least one event in the window.
        sessions_with_gaps: of these, sessions missing at least one ``seq``.
        sessions_without_start: of these, sessions without a start event.
        missing_events: sequences missing over all of them.
        sessions: the sessions with a gap or no start event, latest activity first.
        more_sessions: such sessions not listed.
    """

    since: datetime
    sessions_checked: int
    sessions_with_gaps: int
    sessions_without_start: int
    missing_events: int
    sessions: list[SessionGap]
    more_sessions: int


class IngestHealth(msgspec.Struct, frozen=True, kw_only=True):
    """Body of ``GET /api/health/ingest``: is every recorded event in the warehouse?

    Hub-side fields are ``None`` when the API cannot see them; ``unavailable`` then
    says why, by field name.

    Attributes:
        status: overall state (:data:`IngestStatus`).
        problems: one sentence per problem found (empty when ``status`` is ``ok``).
        stream: ``BT_EVENTS`` now.
        consumer: the projector's consumer lag.
        ingested_through: every ``BT_EVENTS`` sequence up to this one is in the
            warehouse (or in ``BT_DEAD``).
        last_ingest_at: when the projector last wrote a batch.
        last_ingest_age_s: seconds since then.
        unwritten_age_s: seconds the oldest message not in the warehouse yet has been in
            the stream (``None`` when there is none, or it is unknown).
        last_error: the projector's last problem (hub, warehouse or input), ``""`` if none.
        dead_letters: ``BT_DEAD``'s count and newest reasons.
        gaps: per-session sequence gaps, computed in the warehouse.
        unavailable: field name → why it is ``None``.
    """

    status: IngestStatus
    problems: list[str]
    stream: StreamState | None
    consumer: ConsumerLag | None
    ingested_through: int | None
    last_ingest_at: datetime | None
    last_ingest_age_s: float | None
    last_error: str | None
    dead_letters: DeadLetters | None
    gaps: SeqGaps
    unavailable: dict[str, str] = msgspec.field(default_factory=dict)
    unwritten_age_s: float | None = None


class TableSum(msgspec.Struct, frozen=True, kw_only=True):
    """Rows and content checksum of one table (see :mod:`benchtrail.projector.checksums`)."""

    rows: int
    checksum: int


class WarehouseChecksums(msgspec.Struct, frozen=True, kw_only=True):
    """Body of ``GET /api/health/checksums``: the live tables' counts and checksums.

    Attributes:
        tables: table name → rows and checksum, after deduplication.
        ingested_through: the stream sequence the warehouse held every message up to
            when the checksums were started.
        stream_last_seq: the last sequence of ``BT_EVENTS`` when they were finished.
        caught_up: ``ingested_through == stream_last_seq``: the checksums are those of
            exactly the stream's messages 1..``stream_last_seq``.
        unavailable: field name → why it is ``None`` (no hub).
    """

    tables: dict[str, TableSum]
    ingested_through: int | None
    stream_last_seq: int | None
    caught_up: bool | None
    unavailable: dict[str, str] = msgspec.field(default_factory=dict)

"""The live feed: events as they arrive on JetStream, as Server-Sent Events.

Each client gets an ephemeral ordered consumer of its own on ``BT_EVENTS``,
filtered to one session, one station or the whole fleet; nothing is read from
the warehouse. A frame (one JetStream message) holds several events, so an
event's SSE id is ``<stream sequence of its frame>:<index in the frame>``
(e.g. ``1234:7``). A client that comes back with ``Last-Event-ID: 1234:7``
gets frame 1234 from event 8 on, then every later frame: no gap, no duplicate.
A ``measurement.series`` is sent as the ``measurement`` events it carries, each
with its own index.

Where a feed starts is a :class:`LiveStart`: after an event id, at the first
frame stored at or after a time, or with the next frame published (``new``).
Frames the projector would reject (undecodable, or events of another session
than the subject says) are skipped, as the warehouse skips them.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Collection
from datetime import UTC, datetime

import anyio
import msgspec
import nats.errors
from litestar.response.sse import ServerSentEventMessage
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from benchtrail.api.errors import BadParameter
from benchtrail.api.hub.hublink import HubLink
from benchtrail.api.hub.live_limits import LiveFeeds
from benchtrail.api.timestamps import ns_to_datetime
from benchtrail.projector import FrameRejected
from benchtrail.projector.frames import check_frame
from benchtrail.schemas import EVENTS_STREAM, event_tag, expand_events, to_json

log = logging.getLogger(__name__)

KEEPALIVE_S = 15.0
"""Seconds without events after which the feed sends a keep-alive comment."""
RETRY_MS = 2000
"""How long a browser's ``EventSource`` waits before it reconnects (sent as ``retry:``)."""
CONSUMER_IDLE_S = 30.0
"""The hub deletes a feed's consumer this long after its client is gone without a goodbye."""
CLEANUP_S = 5.0
"""Most time spent deleting a feed's consumer when its client leaves."""
REVOKED = "the token of this feed was revoked"
"""``data`` of the final ``closed`` event of a feed whose token was revoked."""

_EVENT_ID = re.compile(r"(\d{1,19}):(\d{1,9})")
EVENT_ID_EXPECTED = "an event id of this feed, '<stream sequence>:<index>' (e.g. '1234:7')"
_NO_MESSAGE = 404


class LiveStart(msgspec.Struct, frozen=True):
    """Where a feed starts.

    Attributes:
        stream_seq: the first frame (stream sequence) to deliver.
        skip_through: in that first frame, events with an index up to this one
            were already delivered (-1: none).
    """

    stream_seq: int
    skip_through: int = -1


def event_id(stream_seq: int, index: int) -> str:
    """The SSE id of the ``index``-th event of the frame at ``stream_seq``."""
    return f"{stream_seq}:{index}"


def start_after(parameter: str, last_event_id: str) -> LiveStart:
    """The start right after the event a client received last.

    Raises:
        BadParameter: ``last_event_id`` is not an id this feed gave.
    """
    match = _EVENT_ID.fullmatch(last_event_id.strip())
    if match is None or int(match.group(1)) < 1:
        raise BadParameter(parameter, last_event_id, EVENT_ID_EXPECTED)
    return LiveStart(int(match.group(1)), int(match.group(2)))


async def start_now(js: JetStreamContext) -> LiveStart:
    """The start at the next frame stored: everything published from now on."""
    info = await js.stream_info(EVENTS_STREAM)
    return LiveStart(int(info.state.last_seq) + 1)


class _StoredMessage(msgspec.Struct):
    seq: int


class _ApiError(msgspec.Struct):
    code: int
    description: str = ""


class _MsgGetResponse(msgspec.Struct):
    message: _StoredMessage | None = None
    error: _ApiError | None = None


async def start_at(hub_link: HubLink, subject_filter: str, since_ns: int) -> LiveStart:
    """The start at the first frame matching ``subject_filter`` stored at or after ``since_ns``.

    JetStream answers "the first message at or after a time" itself (a stream
    message get with ``start_time``), so this costs one request, not a scan.
    """
    now = await start_now(hub_link.live_js)  # asked first: a frame stored after it is seen below
    request = {"start_time": _rfc3339(ns_to_datetime(since_ns)), "next_by_subj": subject_filter}
    reply = await hub_link.live_nc.request(
        f"$JS.API.STREAM.MSG.GET.{EVENTS_STREAM}", json.dumps(request).encode()
    )
    answer = msgspec.json.decode(reply.data, type=_MsgGetResponse)
    if answer.message is not None:
        return LiveStart(answer.message.seq)
    if answer.error is not None and answer.error.code != _NO_MESSAGE:
        raise nats.errors.Error(f"JetStream could not find where to start: {answer.error}")
    return now


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class LiveFeed:
    """One client's view of the stream: an ordered consumer and the events it yields.

    Open it with :meth:`open`; iterate :meth:`messages` for the SSE messages;
    :meth:`close` (also called when the iteration ends) deletes the consumer and
    gives its place back to :class:`LiveFeeds`.
    """

    def __init__(
        self,
        js: JetStreamContext,
        subscription: JetStreamContext.PushSubscription,
        start: LiveStart,
        *,
        event_types: Collection[str] | None,
        keepalive: float,
        feeds: LiveFeeds,
        client: str,
    ) -> None:
        self._js = js
        self._subscription = subscription
        self._start = start
        self._event_types = frozenset(event_types) if event_types else None
        self._keepalive = keepalive
        self._last_seq = start.stream_seq - 1
        self._closed = False
        self._feeds = feeds
        self._client = client
        self._behind: str | None = None
        self._drain = 0
        feeds.watch(subscription._sub, self)  # the sid changes when nats-py recreates it
        self.authorized: Callable[[], bool] = lambda: True
        """Asked about once a second: ``False`` (its token was revoked) ends the feed."""
        self._next_check = 0.0

    @classmethod
    async def open(
        cls,
        js: JetStreamContext,
        subject_filter: str,
        start: LiveStart,
        *,
        feeds: LiveFeeds,
        client: str,
        event_types: Collection[str] | None = None,
        keepalive: float = KEEPALIVE_S,
    ) -> LiveFeed:
        """Create the consumer: from here on, frames from ``start`` are on their way.

        The subscription holds at most ``feeds.limits.pending_msgs`` frames and
        ``pending_bytes`` bytes unread; past that the feed fell behind (it ends).

        Args:
            js: the live connection's JetStream context.
            subject_filter: which frames (``session_filter``, ``station_filter``, ``bt.evt.>``).
            start: where to begin.
            feeds: the hub's open feeds; ``client`` was admitted there, and is released
                when the feed closes (also if opening fails).
            client: the client address the feed counts against.
            event_types: only events with these tags (all if empty or ``None``).
            keepalive: seconds without events before a keep-alive comment.
        """
        config = ConsumerConfig(
            description="benchtrail live feed",
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=start.stream_seq,
        )
        try:
            subscription = await js.subscribe(
                subject_filter,
                stream=EVENTS_STREAM,
                ordered_consumer=True,
                config=config,
                inactive_threshold=CONSUMER_IDLE_S,
                pending_msgs_limit=feeds.limits.pending_msgs,
                pending_bytes_limit=feeds.limits.pending_bytes,
            )
        except BaseException:
            feeds.release(client)
            raise
        return cls(
            js,
            subscription,
            start,
            event_types=event_types,
            keepalive=keepalive,
            feeds=feeds,
            client=client,
        )

    def fall_behind(self, reason: str) -> None:
        """The subscription overflowed: deliver the frames it holds, then end with ``closed``.

        The frames queued when the first one was dropped all come before it, so the
        last event delivered is a gapless place to resume from (``Last-Event-ID``).
        """
        if self._behind is None:
            self._behind = reason
            self._drain = self._subscription.pending_msgs

    async def messages(self) -> AsyncIterator[ServerSentEventMessage]:
        """SSE messages: one per event, a comment when idle; ends when the hub goes away."""
        try:
            yield ServerSentEventMessage(data=None, comment="benchtrail live feed", retry=RETRY_MS)
            while True:
                if self._behind is not None and self._drain <= 0:
                    yield ServerSentEventMessage(event="closed", data=self._behind)
                    return
                msg: Msg | None = None
                try:
                    msg = await self._subscription.next_msg(timeout=self._keepalive)
                except nats.errors.TimeoutError:
                    pass
                except nats.errors.ConnectionClosedError:
                    return
                if self._behind is not None:
                    self._drain = self._drain - 1 if msg is not None else 0
                if not self._still_authorized():
                    yield ServerSentEventMessage(event="closed", data=REVOKED)
                    return
                if msg is None:
                    yield ServerSentEventMessage(data=None, comment="keep-alive")
                    continue
                for message in self._frame_messages(msg):
                    yield message
        finally:
            await self.close()

    def _still_authorized(self) -> bool:
        now = time.monotonic()
        if now < self._next_check:
            return True
        self._next_check = now + 1.0
        return self.authorized()

    def _frame_messages(self, msg: Msg) -> list[ServerSentEventMessage]:
        stream_seq = int(msg.metadata.sequence.stream)
        if stream_seq <= self._last_seq:
            return []  # a consumer recreated after a hiccup may send a frame again
        self._last_seq = stream_seq
        try:
            frame = check_frame(msg.subject, msg.data)
        except FrameRejected as e:
            log.warning("live feed skips frame %d: %s", stream_seq, e)
            return []
        skip = self._start.skip_through if stream_seq == self._start.stream_seq else -1
        messages = []
        for index, event in enumerate(expand_events(frame.events)):
            tag = event_tag(type(event))
            if index <= skip or (self._event_types is not None and tag not in self._event_types):
                continue
            data = to_json(event).decode()
            messages.append(
                ServerSentEventMessage(data=data, event=tag, id=event_id(stream_seq, index))
            )
        return messages

    async def close(self) -> None:
        """Stop the consumer and delete it on the hub; safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        self._feeds.release(self._client)
        self._feeds.unwatch(self._subscription._sub)
        # The client may be gone (the response task is being cancelled): finish anyway.
        with anyio.move_on_after(CLEANUP_S, shield=True):
            await self._delete_consumer()

    async def _delete_consumer(self) -> None:
        # nats-py keeps the ordered consumer's current name here (it changes when the
        # consumer is recreated after a gap); the hub would delete it once idle anyway.
        name = self._subscription._consumer
        try:
            await self._subscription.unsubscribe()
            await self._js.delete_consumer(EVENTS_STREAM, name)
        except nats.errors.Error as e:  # closed connection, consumer already gone
            log.debug("live feed consumer %r: %r", name, e)

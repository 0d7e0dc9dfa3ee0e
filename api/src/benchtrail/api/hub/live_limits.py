"""How many live feeds the hub serves, and what it does with a feed that falls behind.

Live feeds read through a NATS connection of their own (never the one ingestion and
locks use). :class:`LiveFeeds` admits a feed only below :attr:`LiveLimits.max_feeds`
overall and :attr:`LiveLimits.max_feeds_per_client` per client address, and is that
connection's ``error_cb``: when a feed's subscription overflows its small pending
limits (nats-py's slow consumer), the feed is told it fell behind and stops reading,
so neither the hub nor nats-server buffers frames for a client that does not read.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Protocol

import msgspec
import nats.errors

from benchtrail.api.errors import FeedLimitReached

log = logging.getLogger(__name__)

FELL_BEHIND = "this client read too slowly and fell behind; reconnect with Last-Event-ID"
"""``data`` of the final ``closed`` event of a feed whose client fell behind."""


DEFAULT_MAX_FEEDS = 64
DEFAULT_MAX_FEEDS_PER_CLIENT = 8


class LiveLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Bounds of the live feeds (``HubOptions.live``).

    Attributes:
        max_feeds: feeds open at once on the hub; beyond, 503.
        max_feeds_per_client: feeds open at once from one client address; beyond, 429.
        pending_msgs: frames a feed's subscription may hold unread; beyond, it fell behind.
        pending_bytes: bytes a feed's subscription may hold unread; beyond, it fell behind
            (keep it above the largest frame, nats-server's max payload: 1 MiB by default).
        send_timeout_s: longest wait for a client to take one SSE message; beyond, the
            feed ends (with a final ``closed`` event if it still fits) and so does the
            connection.
        replay_max_frames: most frames a feed may start behind the stream's end, for
            ``since`` and ``Last-Event-ID`` alike (400 beyond).
    """

    max_feeds: int = DEFAULT_MAX_FEEDS
    max_feeds_per_client: int = DEFAULT_MAX_FEEDS_PER_CLIENT
    pending_msgs: int = 1024
    pending_bytes: int = 4 * 1024 * 1024
    send_timeout_s: float = 10.0
    replay_max_frames: int = 100_000


class FallBehind(Protocol):
    """What a feed offers :class:`LiveFeeds`: being told its client fell behind."""

    def fall_behind(self, reason: str) -> None:
        """Stop reading; end the feed with a ``closed`` event saying ``reason``."""


class LiveFeeds:
    """The hub's open live feeds: admission by count and the slow-consumer watch."""

    def __init__(self, limits: LiveLimits | None = None) -> None:
        self.limits = limits or LiveLimits()
        self._clients: Counter[str] = Counter()
        self._by_subscription: dict[object, FallBehind] = {}

    @property
    def open_feeds(self) -> int:
        """Feeds open now."""
        return sum(self._clients.values())

    def admit(self, client: str) -> None:
        """Count one more feed of ``client``.

        Raises:
            FeedLimitReached: the hub or this client is at its limit.
        """
        limits = self.limits
        if self.open_feeds >= limits.max_feeds:
            raise FeedLimitReached("max_feeds", limits.max_feeds, 503, "the hub")
        if self._clients[client] >= limits.max_feeds_per_client:
            per_client = limits.max_feeds_per_client
            raise FeedLimitReached("max_feeds_per_client", per_client, 429, f"client {client!r}")
        self._clients[client] += 1

    def release(self, client: str) -> None:
        """One feed of ``client`` ended."""
        self._clients[client] -= 1
        if self._clients[client] <= 0:
            del self._clients[client]

    def watch(self, subscription: object, feed: FallBehind) -> None:
        """Tell ``feed`` when ``subscription`` (nats-py's, whatever its sid) overflows."""
        self._by_subscription[subscription] = feed

    def unwatch(self, subscription: object) -> None:
        """Forget ``subscription``."""
        self._by_subscription.pop(subscription, None)

    async def on_error(self, error: Exception) -> None:
        """``error_cb`` of the live connection: a slow consumer's feed fell behind."""
        if isinstance(error, nats.errors.SlowConsumerError):
            feed = self._by_subscription.pop(error.sub, None)
            if feed is not None:
                log.info("live feed (subscription %d) fell behind: closing it", error.sid)
                feed.fall_behind(FELL_BEHIND)
            return
        log.warning("live feed connection: %r", error)

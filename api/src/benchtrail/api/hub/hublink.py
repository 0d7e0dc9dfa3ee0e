"""The API's link to the hub: its NATS connection (JetStream) and the projector's progress.

Route handlers that publish events (observation windows) or follow the stream (the
live feed) take the ``hub_link`` dependency; without a hub it is ``None`` and they
raise :class:`~benchtrail.api.errors.HubUnavailable` (HTTP 503).
"""

from __future__ import annotations

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from benchtrail.api.errors import HubUnavailable
from benchtrail.api.hub.identity import StationDesk
from benchtrail.api.hub.live_limits import LiveFeeds
from benchtrail.projector import Projector


class HubLink:
    """What the API may use of the hub it runs in.

    Attributes:
        nc: the hub's NATS connection (on the event loop the API runs on).
        projector: the projector writing the warehouse, if it runs in this process.
        live_nc: the connection of the live feeds (the ``live`` identity of a hub with
            auth), always another one than :attr:`nc`: a feed's backlog or a slow
            consumer never costs ingestion or locks their connection.
        live_feeds: the open live feeds and their limits (its ``on_error`` is
            ``live_nc``'s ``error_cb``).
        stations: the hub's station identities, for admins (``/api/admin/stations``).
    """

    def __init__(
        self,
        nc: NatsClient,
        projector: Projector | None,
        live_nc: NatsClient,
        live_feeds: LiveFeeds,
        stations: StationDesk | None = None,
    ) -> None:
        if live_nc is nc:
            raise ValueError("live feeds need a NATS connection of their own")
        self.nc = nc
        self.projector = projector
        self.live_nc = live_nc
        self.live_feeds = live_feeds
        self.stations = stations

    @property
    def js(self) -> JetStreamContext:
        """The JetStream context of :attr:`nc`."""
        return self.nc.jetstream()

    @property
    def live_js(self) -> JetStreamContext:
        """The JetStream context of :attr:`live_nc` (what live feeds read through)."""
        return self.live_nc.jetstream()

    async def wait_ingested(self, stream_seq: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Return once every ``BT_EVENTS`` message up to ``stream_seq`` is queryable."""
        if self.projector is None:
            raise HubUnavailable("the projector's progress")
        await self.projector.wait_until_ingested(stream_seq, timeout)


def require(link: HubLink | None, what: str) -> HubLink:
    """``link``, or :class:`HubUnavailable` naming ``what`` needs it."""
    if link is None:
        raise HubUnavailable(what)
    return link

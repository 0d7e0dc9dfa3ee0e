"""Who holds which instrument: the ``bt_locks`` bucket, read and broken through the API.

The hub owns one :class:`LockBoard` on its own NATS connection. Breaking a lock by
force is recorded as a ``lock.released`` event (with ``broken_by``) in a session of
the hub's own, opened on first use.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime

import nats.errors

from benchtrail.agents.locks import HeldLock, Holder, Locks
from benchtrail.agents.station import Station
from benchtrail.api.errors import LockBucketUnavailable, NotFound
from benchtrail.api.models.entities import LockView
from benchtrail.schemas import LOCKS_BUCKET, LockReleased

_BUCKET_ERRORS = (nats.errors.Error, TimeoutError)


def lock_view(held: HeldLock) -> LockView:
    """The API's view of a held lock."""
    holder = held.holder
    return LockView(
        key=held.key,
        resource=holder.resource,
        station_id=holder.station_id,
        session_id=holder.session_id,
        host=holder.host,
        pid=holder.pid,
        since=datetime.fromtimestamp(holder.since_ns / 1e9, UTC),
        since_ns=holder.since_ns,
        fencing_token=held.fencing_token,
    )


class LockBoard:
    """Lists locks and breaks them by force, recording who did.

    Args:
        locks: the lock client, bound to the bucket.
        hub_url: where the hub's own session publishes its events.
        station_factory: builds that session (tests may pass their own).
    """

    def __init__(
        self,
        locks: Locks,
        hub_url: str,
        station_factory: Callable[[str], Station] | None = None,
    ) -> None:
        self.locks = locks
        self.hub_url = hub_url
        self._station_factory = station_factory or hub_station
        self._station: Station | None = None

    async def list(self) -> list[LockView]:
        """Every lock held now, ordered by key.

        Raises:
            LockBucketUnavailable: the bucket cannot be read (e.g. deleted; being recreated).
        """
        try:
            return [lock_view(held) for held in await self.locks.held()]
        except _BUCKET_ERRORS as e:
            raise LockBucketUnavailable(LOCKS_BUCKET, repr(e)) from e

    async def holder(self, key: str) -> Holder | None:
        """Who holds ``key`` now, if anyone (:class:`LockBucketUnavailable` as :meth:`list`)."""
        try:
            return await self.locks.holder(key)
        except _BUCKET_ERRORS as e:
            raise LockBucketUnavailable(LOCKS_BUCKET, repr(e)) from e

    async def force_release(self, key: str, by: str) -> LockView:
        """Break ``key`` whoever holds it; record ``lock.released`` with ``broken_by``.

        Raises:
            NotFound: nobody holds ``key``.
        """
        try:
            held = await self.locks.force_release(key)
        except _BUCKET_ERRORS as e:
            raise LockBucketUnavailable(LOCKS_BUCKET, repr(e)) from e
        if held is None:
            raise NotFound("lock", key)
        station = self._session()
        station.emit(
            LockReleased,
            key=key,
            resource=held.holder.resource,
            fencing_token=held.fencing_token,
            holder=held.holder.describe(),
            broken_by=by,
        )
        return lock_view(held)

    def _session(self) -> Station:
        if self._station is None:
            self._station = self._station_factory(self.hub_url).start()
        return self._station

    def close(self) -> None:
        """End the hub's session, if one was opened (waits for its acks)."""
        if self._station is not None:
            self._station.stop(reason="hub stopped")


def hub_station(hub_url: str, credentials: str = "", tls_ca: str = "") -> Station:
    """The hub's own session (station ``hub``), with the hub identity's credentials if any."""
    return Station(
        "hub",
        hub=hub_url,
        credentials=credentials,
        tls_ca=tls_ca,
        name=f"hub on {socket.gethostname()}",
        station_type="hub",
        session_type="service",
    )

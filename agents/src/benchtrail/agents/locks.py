"""Resource locks in the JetStream KV bucket ``bt_locks``: leases with fencing tokens.

Acquire is a KV ``create`` (it fails while the key is held). The holder renews with
``update(last=revision)`` every third of the lease; the bucket's max age is the lease,
and each update restarts it. Release is ``delete(last=revision)``. The KV revision is
the fencing token: it only grows, and every renewal takes a new one.

A release stops the renewal and waits for an update it already sent (never
cancelling it mid-flight: the hub may have applied it, and the lease would keep the
old revision), then deletes at the latest revision that still holds this holder. A
key it cannot remove raises :class:`LockNotReleased`; nothing is suppressed.

A lease is valid locally for ``lease`` seconds from the moment its last successful
renewal was *sent*; the hub's copy expires no earlier than that. So a holder that was
frozen (SIGSTOP) or cut off longer than the lease finds its lease invalid before it
touches the instrument again, while another holder may already have the key: the two
never both believe they hold it.

Waiting for a busy key watches it (no polling): a delete, or the expiry marker the
server places when max age removes the key, wakes the waiter to try ``create`` again.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time

import msgspec
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import (
    APIError,
    BucketNotFoundError,
    KeyDeletedError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
)
from nats.js.kv import KeyValue

from benchtrail.agents.errors import LeaseLost, LockNotReleased, ResourceBusy
from benchtrail.schemas import LOCKS_BUCKET

DEFAULT_LEASE = 10.0
"""Seconds a lock is kept without renewal (the bucket's max age)."""

_WRONG_LAST_SEQUENCE = (10071, 10164)
"""JetStream error codes of a write whose expected last revision was not the key's."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def lock_key(resource: str, station_id: str | None = None) -> str:
    """KV key of a resource: ``<station>.<resource>``, or ``shared.<resource>``.

    Characters a KV key cannot hold (``:``, ``.``, ``/``, …) are written as ``=XX``.
    """
    token = _UNSAFE.sub(lambda m: "".join(f"={b:02X}" for b in m.group().encode()), resource)
    return f"{station_id or 'shared'}.{token}"


class Holder(msgspec.Struct, frozen=True, kw_only=True):
    """Who holds a lock; stored as the key's value."""

    station_id: str
    session_id: str = ""
    host: str = ""
    pid: int = 0
    since_ns: int = 0
    resource: str = ""

    def describe(self) -> str:
        """``station 'cell-7' (session …, host lab-3, pid 4242, since …)``."""
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.since_ns / 1e9))
        return (
            f"station {self.station_id!r} (session {self.session_id or '-'}, host "
            f"{self.host or '-'}, pid {self.pid}, since {since} UTC)"
        )


class HeldLock(msgspec.Struct, frozen=True):
    """A lock as the bucket holds it: key, holder and fencing token."""

    key: str
    holder: Holder
    fencing_token: int


_encode = msgspec.json.Encoder().encode
_decode_holder = msgspec.json.Decoder(Holder).decode


class Lease:
    """A held lock: its key, current fencing token and local validity."""

    def __init__(self, key: str, holder: Holder, revision: int, lease: float) -> None:
        self.key = key
        self.holder = holder
        self.revision = revision
        self.lease = lease
        self.renewed_at = 0.0
        self.lost_reason = ""
        self.released = False
        self.stopping = asyncio.Event()

    @property
    def fencing_token(self) -> int:
        """The KV revision of the latest acquire or renewal: it only grows."""
        return self.revision

    def check(self) -> None:
        """Raise :class:`LeaseLost` unless the lease is certainly still held."""
        if self.released:
            raise LeaseLost(self.key, "it was released")
        if self.lost_reason:
            raise LeaseLost(self.key, self.lost_reason)
        age = time.monotonic() - self.renewed_at
        if age >= self.lease:
            raise LeaseLost(self.key, f"not renewed for {age:.1f} s (lease {self.lease:g} s)")


class Locks:
    """Acquire, renew and release locks in ``bt_locks`` over one JetStream context."""

    def __init__(self, js: JetStreamContext, lease: float = DEFAULT_LEASE) -> None:
        self.js = js
        self.lease = lease
        self._kv: KeyValue | None = None
        self._renewals: dict[str, asyncio.Task[None]] = {}

    async def open(self) -> Locks:
        """Bind to the bucket, creating it (max age = the lease) if it does not exist.

        An existing bucket's max age wins over ``lease``: every holder must agree on it.
        """
        try:
            self._kv = await self.js.key_value(LOCKS_BUCKET)
            ttl = (await self._kv.status()).ttl
            if ttl:  # the bucket's max age is the lease, whoever created it
                self.lease = float(ttl)
        except BucketNotFoundError:
            self._kv = await self.js.create_key_value(
                KeyValueConfig(
                    bucket=LOCKS_BUCKET,
                    ttl=self.lease,
                    history=1,
                    storage=StorageType.FILE,
                    limit_marker_ttl=max(self.lease, 1.0),
                    description="benchtrail resource locks (value: the holder)",
                )
            )
        return self

    @property
    def kv(self) -> KeyValue:
        """The bucket (after :meth:`open`)."""
        assert self._kv is not None, "call open() first"
        return self._kv

    async def try_acquire(self, key: str, holder: Holder) -> Lease | None:
        """Take the lock if it is free; ``None`` if someone holds it."""
        sent = time.monotonic()
        revision = await self._create(key, _encode(holder))
        if revision is None:
            return None
        lease = Lease(key, holder, revision, self.lease)
        lease.renewed_at = sent
        self._renewals[key] = asyncio.create_task(self._renew(lease), name=f"renew {key}")
        return lease

    async def _create(self, key: str, value: bytes) -> int | None:
        """KV create that also takes a key whose last record is an expiry marker."""
        try:
            return await self.kv.create(key, value)
        except KeyWrongLastSequenceError:
            pass
        try:
            entry = await self.kv.get(key)
        except (KeyNotFoundError, KeyDeletedError):
            return None  # changed under us: the caller tries again or waits
        if entry.value:
            return None  # held
        try:  # the server's MaxAge marker: the key expired, take it from there
            return await self.kv.update(key, value, last=entry.revision)
        except KeyWrongLastSequenceError:
            return None

    async def acquire(self, key: str, holder: Holder, wait: float = 0.0) -> Lease:
        """Take the lock, waiting up to ``wait`` seconds for its holder to let go.

        Raises:
            ResourceBusy: still held after ``wait``; names the holder.
        """
        lease = await self.try_acquire(key, holder)
        if lease is not None:
            return lease
        if wait > 0:
            deadline = time.monotonic() + wait
            watcher = await self.kv.watch(key)
            try:
                while (left := deadline - time.monotonic()) > 0:
                    lease = await self.try_acquire(key, holder)
                    if lease is not None:
                        return lease
                    await _next_release(watcher, left)
            finally:
                await watcher.stop()  # type: ignore[no-untyped-call]
        raise ResourceBusy(key, await self.describe_holder(key), wait)

    async def describe_holder(self, key: str) -> str:
        """Who holds ``key`` now, in words."""
        current = await self.holder(key)
        return current.describe() if current else "nobody (it was just released)"

    async def holder(self, key: str) -> Holder | None:
        """The current holder of ``key``, if any."""
        try:
            entry = await self.kv.get(key)
        except (KeyNotFoundError, KeyDeletedError):
            return None
        return _decode_holder(entry.value) if entry.value else None

    async def holders(self) -> dict[str, Holder]:
        """Every lock held now, by key."""
        return {held.key: held.holder for held in await self.held()}

    async def held(self) -> list[HeldLock]:
        """Every lock held now, with its fencing token, ordered by key.

        The keys come from the bucket stream's subjects (one request), not from
        ``kv.keys()``: that watcher can end its initial replay early while locks are being
        renewed and leave out a held lock (nats-io/nats.py#995).
        """
        prefix = f"$KV.{LOCKS_BUCKET}."
        info = await self.js.stream_info(f"KV_{LOCKS_BUCKET}", subjects_filter=f"{prefix}>")
        keys = [subject.removeprefix(prefix) for subject in info.state.subjects or {}]
        found = []
        for key in sorted(keys):
            try:
                entry = await self.kv.get(key)
            except (KeyNotFoundError, KeyDeletedError):
                continue
            if entry.value:
                found.append(HeldLock(key, _decode_holder(entry.value), entry.revision or 0))
        return found

    async def release(self, lease: Lease) -> bool:
        """Give the lock back: remove its key if this lease still holds it.

        Stops the renewal first and waits for an update in flight, so the key is
        deleted at its latest revision (a renewal that reached the hub but whose reply
        had not come back would otherwise leave the key held until the lease ran out).

        Returns:
            ``True`` when this call removed the key; ``False`` when the lease no longer
            held it (already released, expired, broken or taken over).

        Raises:
            LockNotReleased: the key could not be removed (the hub could not be
                reached, or refused); it stays held until the lease runs out.
        """
        if lease.released:
            return False
        await self._stop_renewal(lease)
        lease.released = True
        if lease.lost_reason:
            return False
        try:
            return await self._delete_held(lease)
        except (NatsError, TimeoutError, OSError) as e:
            reason = f"{type(e).__name__}: {e}"
            raise LockNotReleased(lease.key, lease.holder.station_id, reason) from e

    async def _stop_renewal(self, lease: Lease) -> None:
        """Stop the renewal, letting an update already sent finish (bounded by the lease)."""
        lease.stopping.set()
        task = self._renewals.pop(lease.key, None)
        if task is None:
            return
        done, _ = await asyncio.wait({task}, timeout=lease.lease)
        if not done:  # the hub is not answering: the revision sent is unknown
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _delete_held(self, lease: Lease) -> bool:
        """Delete the key at the latest revision holding this lease's holder."""
        value = _encode(lease.holder)
        for _ in range(3):
            try:
                await self.kv.delete(lease.key, last=lease.revision)
                return True
            except APIError as e:  # delete() does not translate it as update() does
                if e.err_code not in _WRONG_LAST_SEQUENCE:
                    raise
            try:  # a renewal landed that this lease did not hear back from?
                entry = await self.kv.get(lease.key)
            except (KeyNotFoundError, KeyDeletedError):
                return False
            if entry.value != value or entry.revision is None:
                return False  # expired, or someone else's now
            lease.revision = entry.revision
        raise LockNotReleased(
            lease.key, lease.holder.station_id, "its revision kept changing under the delete"
        )

    async def force_release(self, key: str) -> HeldLock | None:
        """Break a lock whoever holds it; return who held it (``None``: nobody did)."""
        try:
            entry = await self.kv.get(key)
        except (KeyNotFoundError, KeyDeletedError):
            return None
        if not entry.value:
            return None
        await self.kv.delete(key)
        return HeldLock(key, _decode_holder(entry.value), entry.revision or 0)

    async def close(self) -> None:
        """Stop every renewal (locks not released expire after the lease)."""
        for task in self._renewals.values():
            task.cancel()
        await asyncio.gather(*self._renewals.values(), return_exceptions=True)
        self._renewals.clear()

    async def _renew(self, lease: Lease) -> None:
        value = _encode(lease.holder)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lease.stopping.wait(), lease.lease / 3)
                return  # released: the release deletes at the revision this loop left
            sent = time.monotonic()
            try:
                lease.revision = await self.kv.update(lease.key, value, last=lease.revision)
            except KeyWrongLastSequenceError:
                lease.lost_reason = "its lease expired or it was broken by force"
                return
            except (TimeoutError, NatsError, OSError) as e:  # hub unreachable: retry
                if time.monotonic() - lease.renewed_at >= lease.lease:
                    lease.lost_reason = f"the hub could not be reached to renew it ({e!r})"
                    return
                continue
            lease.renewed_at = sent


async def _next_release(watcher: KeyValue.KeyWatcher, seconds: float) -> None:
    """Return when the watched key is deleted, purged or expires (or after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            entry = await watcher.updates(timeout=left)  # type: ignore[no-untyped-call]
        except (TimeoutError, NatsError):  # timed out: the caller's deadline decides
            return
        if entry is None or entry.operation in ("DEL", "PURGE"):
            return

"""The hub watches what it depends on and repairs what it can: streams, buckets, ingestion.

Every ``interval_s`` :class:`HubUpkeep` checks that ``BT_EVENTS``, ``BT_DEAD``, the
``bt_locks`` bucket and the ``bt_attachments`` object store exist, whether the
projector's writes keep failing, how long the oldest stream message not yet in the
warehouse has waited, and whether the warehouse answers a trivial query within
:data:`WAREHOUSE_PROBE_S` (kept in :attr:`HubUpkeep.warehouse`, so ``/api/health``
answers from memory). What is wrong becomes a sentence in :attr:`HubUpkeep.problems`
(``/api/health`` is then ``degraded`` with those reasons). A stream or a bucket found
missing on two checks in a row is recreated (one check's grace leaves an operator's own
repair alone), logged, and listed in :attr:`HubUpkeep.recreated`; so is one found with
another creation time than before (the projector recreates its streams itself when its
fetches fail). Every :data:`SETTLE_EVERY_S` it also rewrites one quiet day partition of
the warehouse that was written as one part (:mod:`benchtrail.projector.lone_parts`: such a
day is never merged, and every ``FINAL`` read would deduplicate it again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from datetime import datetime

import nats.errors
from clickhouse_connect.driver.exceptions import ClickHouseError
from nats.js import JetStreamContext
from nats.js.client import KV_STREAM_TEMPLATE
from nats.js.errors import NotFoundError

from benchtrail.api.hub.attachment_store import ATTACHMENTS_STREAM, ensure_attachments_bucket
from benchtrail.api.hub.hublink import HubLink
from benchtrail.api.hub.ingest_status import read_hub
from benchtrail.api.hub.lockboard import LockBoard
from benchtrail.api.models.entities import WarehouseHealth
from benchtrail.api.queries.stations import warehouse_health
from benchtrail.api.timestamps import ns_to_datetime
from benchtrail.projector import Projector, Warehouse
from benchtrail.projector.errors import WarehouseUnavailable
from benchtrail.projector.lone_parts import settle_lone_part
from benchtrail.projector.streams import ensure_streams
from benchtrail.schemas import ATTACHMENTS_BUCKET, DEAD_STREAM, EVENTS_STREAM, LOCKS_BUCKET

log = logging.getLogger("benchtrail.hub")

DEFAULT_INTERVAL_S = 2.0
"""Seconds between two checks."""
DEFAULT_MAX_INGEST_LAG_S = 10.0
"""Health is ``degraded`` once a stored frame has waited this long for the warehouse."""
WAREHOUSE_PROBE_S = 5.0
"""The warehouse does not answer when ``SELECT 1`` takes longer than this."""
SETTLE_EVERY_S = 60.0
"""Seconds between two rewrites of a quiet day written as one part (one per check at most:
each holds the warehouse's write turn, 0.3-0.4 s for a day of 330,000 points here)."""
_KEPT_RECREATIONS = 20
_HUB_ERRORS = (nats.errors.Error, TimeoutError)
_WHAT = {
    EVENTS_STREAM: "stream",
    DEAD_STREAM: "stream",
    LOCKS_BUCKET: "lock bucket",
    ATTACHMENTS_BUCKET: "attachment store",
}
_STREAM_OF = {
    EVENTS_STREAM: EVENTS_STREAM,
    DEAD_STREAM: DEAD_STREAM,
    LOCKS_BUCKET: KV_STREAM_TEMPLATE.format(bucket=LOCKS_BUCKET),
    ATTACHMENTS_BUCKET: ATTACHMENTS_STREAM,
}


class HubUpkeep:
    """Checks the hub's streams, lock bucket and ingestion; recreates what went missing."""

    def __init__(
        self,
        hub_link: HubLink,
        lock_board: LockBoard,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        max_ingest_lag_s: float = DEFAULT_MAX_INGEST_LAG_S,
        warehouse: Warehouse | None = None,
    ) -> None:
        self.hub_link = hub_link
        self.warehouse_target = warehouse
        self.lock_board = lock_board
        self.interval_s = interval_s
        self.max_ingest_lag_s = max_ingest_lag_s
        self.problems: list[str] = []
        """What is wrong now, one sentence each (empty: healthy)."""
        self.ingest_lag_s = 0.0
        """How long the oldest frame not yet in the warehouse had waited at the last check."""
        self.warehouse = WarehouseHealth(reachable=True)
        """Whether the warehouse answered the last probe."""
        self.recreated: deque[str] = deque(maxlen=_KEPT_RECREATIONS)
        """What the hub recreated, newest last, with when."""
        self._missing: set[str] = set()
        self._created: dict[str, datetime] = {}
        self._failures_seen = 0
        self._last_failure_ns = 0
        self._next_settle = time.monotonic() + SETTLE_EVERY_S

    async def run(self, stop: asyncio.Event) -> None:
        """Check every ``interval_s`` until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.check()
            except _HUB_ERRORS as e:  # never the end of the watch
                self.problems = [f"the hub's own checks failed: {e!r}"]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_s)

    async def check(self) -> None:
        """One round: find what is missing (recreate what was missing before), judge ingestion."""
        js = self.hub_link.js
        problems: list[str] = []
        missing = await self._find_missing(js, problems)
        for name in sorted(missing & self._missing):
            if await self._recreate(js, name, problems):
                missing.discard(name)
        for name in sorted(missing - self._missing):
            problems.append(
                f"{_WHAT[name]} {name!r} is missing on the hub; it is recreated within"
                f" {2 * self.interval_s:g} s"
            )
        self._missing = missing
        problems += self._projector_problems(self.hub_link.projector)
        problems += await self._lag_problems()
        self.problems = problems
        await self._probe_warehouse()
        await self.rewrite_lone_day()

    async def rewrite_lone_day(self) -> None:
        """Rewrite one quiet day written as one part, once per :data:`SETTLE_EVERY_S`."""
        if self.warehouse_target is None or time.monotonic() < self._next_settle:
            return
        self._next_settle = time.monotonic() + SETTLE_EVERY_S
        started = time.monotonic()
        try:
            lone = await asyncio.to_thread(settle_lone_part, self.warehouse_target)
        except (ClickHouseError, WarehouseUnavailable, OSError, RuntimeError) as e:
            log.warning("could not rewrite a quiet day written as one part: %s", e)
            return
        if lone is not None:
            log.info(
                "rewrote %s day %s, written as one part, as a merged one (%s rows, %.1f s)",
                lone.table,
                lone.partition_id,
                f"{lone.rows:,}",
                time.monotonic() - started,
            )

    async def _probe_warehouse(self) -> None:
        """Ask the warehouse ``SELECT 1`` (in its turn, like any read), bounded in time."""
        if self.warehouse_target is None:
            return
        probe = asyncio.to_thread(warehouse_health, self.warehouse_target)
        try:
            self.warehouse = await asyncio.wait_for(probe, WAREHOUSE_PROBE_S)
        except TimeoutError:
            self.warehouse = WarehouseHealth(
                reachable=False, error=f"no answer to SELECT 1 within {WAREHOUSE_PROBE_S:g} s"
            )

    async def _find_missing(self, js: JetStreamContext, problems: list[str]) -> set[str]:
        missing: set[str] = set()
        for name, stream in _STREAM_OF.items():
            try:
                info = await js.stream_info(stream)
            except NotFoundError:
                missing.add(name)
                continue
            except _HUB_ERRORS as e:
                problems.append(f"the hub did not say whether {_WHAT[name]} {name!r} exists: {e!r}")
                continue
            self._note_created(name, info.created)
        return missing

    def _note_created(self, name: str, created: datetime | None) -> None:
        """Note a stream that was recreated (by anyone) since the last check."""
        if created is None:
            return
        before = self._created.get(name)
        self._created[name] = created
        if before is not None and created != before:
            self._recreated(name, created)

    def _recreated(self, name: str, when: datetime) -> None:
        note = (
            f"{_WHAT[name]} {name!r} was missing and was recreated at"
            f" {when.isoformat(timespec='seconds')}"
        )
        log.warning("%s (what it held before is gone)", note)
        self.recreated.append(note)

    async def _recreate(self, js: JetStreamContext, name: str, problems: list[str]) -> bool:
        try:
            if name == LOCKS_BUCKET:
                await self.lock_board.locks.open()  # creates it with the lease it had
            elif name == ATTACHMENTS_BUCKET:
                await ensure_attachments_bucket(js)
            else:
                projector = self.hub_link.projector
                settings = projector.settings.streams if projector is not None else None
                await ensure_streams(js, settings, update=False)
        except _HUB_ERRORS as e:
            problems.append(f"{_WHAT[name]} {name!r} is missing; recreating it failed: {e!r}")
            log.error("%s %r is missing; recreating it failed: %r", _WHAT[name], name, e)
            return False
        info = await js.stream_info(_STREAM_OF[name])
        when = info.created or ns_to_datetime(time.time_ns())
        self._created[name] = when
        self._recreated(name, when)
        return True

    def _projector_problems(self, projector: Projector | None) -> list[str]:
        """The projector keeps failing: a write failed, and none succeeded since."""
        if projector is None:
            return []
        stats = projector.stats
        if stats.write_failures > self._failures_seen:
            self._failures_seen = stats.write_failures
            self._last_failure_ns = time.time_ns()
        if self._last_failure_ns and stats.last_ingest_at_ns < self._last_failure_ns:
            return [
                f"the projector cannot write to the warehouse ({stats.write_failures} failed"
                f" write(s) so far, none succeeded since): {stats.last_error}"
            ]
        return []

    async def _lag_problems(self) -> list[str]:
        hub = await read_hub(self.hub_link, newest=0)
        waited = hub.unwritten_age_s
        self.ingest_lag_s = round(waited or 0.0, 3)
        if waited is None or waited <= self.max_ingest_lag_s:
            return []
        return [
            f"a stored frame has waited {waited:.1f} s for the warehouse (more than"
            f" {self.max_ingest_lag_s:g} s)"
        ]

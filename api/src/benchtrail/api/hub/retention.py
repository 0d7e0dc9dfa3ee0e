"""Retention: remove whole days older than a cut from every table, and trim the stream to match.

``benchtrail data prune --older-than 90d`` (``POST /api/data/prune``) runs a
:class:`Pruner` in the hub, the one process that has the warehouse open. The hub's
configured policy (:class:`HubRetention`, from ``hub.retention.days`` or
``benchtrail up --retention-days``) is the age a prune uses when none is given, and
the hub applies it itself at start and then every hour. Without one, the default
policy keeps everything.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime

from nats.js import JetStreamContext

from benchtrail.api.hub.attachment_store import delete_objects
from benchtrail.api.hub.retention_stream import trim_stream
from benchtrail.api.hub.retention_tables import prune_tables
from benchtrail.api.models.prune import (
    PolicySource,
    PruneReport,
    StreamTrim,
    TablePrune,
    day_boundary,
    parse_age,
)
from benchtrail.api.queries.attachments import unreferenced_digests
from benchtrail.api.timestamps import datetime_to_ns
from benchtrail.projector import Projector, Warehouse
from benchtrail.schemas import PROJECTOR_DURABLE

log = logging.getLogger(__name__)

RETENTION_STATE = "benchtrail_retention"
"""Key of the hub's :class:`HubRetention` in the Litestar application's ``state``."""

KEEP_EVERYTHING = (
    "nothing pruned: no age given and no retention configured (the default keeps everything)"
)


class Pruner:
    """Removes old days from the warehouse and the matching frames from ``BT_EVENTS``.

    Args:
        warehouse: the hub's warehouse.
        js: JetStream of the hub's connection (on the event loop the pruner runs on).
        projector: the projector writing ``warehouse`` in this process, if any: the
            stream is never purged past what it has written, nor past the ack floor
            of its durable consumer (``bt-projector`` without one).
        lock: held while pruning, so that two prunes never interleave.
    """

    def __init__(
        self,
        warehouse: Warehouse,
        js: JetStreamContext,
        *,
        projector: Projector | None = None,
        lock: asyncio.Lock | None = None,
    ) -> None:
        self.warehouse = warehouse
        self.js = js
        self.projector = projector
        self.durable = projector.settings.durable if projector else PROJECTOR_DURABLE
        self.lock = lock or asyncio.Lock()

    async def prune(
        self,
        older_than: str,
        *,
        dry_run: bool,
        policy: PolicySource = "argument",
        now: datetime | None = None,
    ) -> PruneReport:
        """Remove (or, with ``dry_run``, list) the whole UTC days before ``now - older_than``.

        The warehouse goes first, then the stream: if the stream purge fails, the
        next prune purges it, and nothing the warehouse still has is gone from it.

        Raises:
            BadParameter: ``older_than`` is not an age such as ``90d``, ``12h``, ``2w``.
        """
        age = parse_age(older_than)
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        before = day_boundary(moment, age)
        async with self.lock:
            # attachments whose every row goes with these days: their objects go after them
            digests = await asyncio.to_thread(
                unreferenced_digests, self.warehouse, datetime_to_ns(before)
            )
            tables = await asyncio.to_thread(prune_tables, self.warehouse, before, dry_run=dry_run)
            stream = await trim_stream(
                self.js,
                self.warehouse,
                datetime_to_ns(before),
                durable=self.durable,
                dry_run=dry_run,
                written_through=self.projector.stats.ingested_through if self.projector else 0,
            )
            objects = len(digests) if dry_run else await delete_objects(self.js, digests)
        rows = sum(table.rows for table in tables)
        return PruneReport(
            dry_run=dry_run,
            policy=policy,
            older_than=older_than.strip(),
            cut=moment - age,
            removed_before=before,
            removed_before_ns=datetime_to_ns(before),
            tables=tables,
            stream=stream,
            rows=rows,
            attachments=objects,
            message=summary(before, tables, stream, dry_run=dry_run, attachments=objects),
        )


def keep_everything(dry_run: bool) -> PruneReport:
    """The report of a prune without an age under the default policy: nothing removed."""
    return PruneReport(dry_run=dry_run, policy="none", message=KEEP_EVERYTHING)


def summary(
    before: datetime,
    tables: list[TablePrune],
    stream: StreamTrim,
    *,
    dry_run: bool,
    attachments: int = 0,
) -> str:
    """One line: how many rows of how many days, frames and attachments went (or would)."""
    day = before.date().isoformat()
    rows = sum(table.rows for table in tables)
    if rows == 0 and stream.messages == 0:
        return f"nothing recorded before {day} to remove"
    days = len({d for table in tables for d in table.days})
    verb = "would remove" if dry_run else "removed"
    return (
        f"{verb} {rows:,} rows of {days} day{'s' * (days != 1)} before {day}"
        f" and {stream.messages:,} frame{'s' * (stream.messages != 1)} of {stream.stream}"
        + (f" and {attachments:,} attachment object(s)" if attachments else "")
    )


class HubRetention:
    """The hub's retention policy, and its application while the hub runs.

    Args:
        days: keep this many days (whole UTC days, counted back from today's cut);
            ``0`` keeps everything.
        interval: seconds between two prunes the hub makes by itself.

    Attributes:
        last: the report of the hub's last prune of its own, ``None`` before the first.
        prunes: how many prunes the hub made by itself.
        lock: held by every prune of the hub (its own and the API's).
    """

    def __init__(self, days: int = 0, interval: float = 3600.0) -> None:
        self.days = days
        self.interval = interval
        self.last: PruneReport | None = None
        self.prunes = 0
        self.lock = asyncio.Lock()
        self._changed = threading.Condition()

    @property
    def older_than(self) -> str | None:
        """The configured age (``"90d"``), or ``None`` when everything is kept."""
        return f"{self.days}d" if self.days > 0 else None

    def status(self) -> dict[str, object]:
        """What ``/api/health`` shows of the policy."""
        last = self.last
        return {
            "older_than": self.older_than,
            "interval_s": self.interval if self.days else None,
            "last_prune": last.message if last is not None else None,
            "last_removed_before": last.removed_before if last is not None else None,
        }

    async def run(self, pruner: Pruner, stop: asyncio.Event) -> None:
        """Prune by the policy now and every :attr:`interval` seconds until ``stop`` is set."""
        older_than = self.older_than
        if older_than is None:
            return
        while not stop.is_set():
            try:
                report = await pruner.prune(older_than, dry_run=False, policy="configured")
            except Exception as e:  # a fault barrier: the hub keeps running; the next round retries
                log.warning("retention: pruning data older than %s failed: %r", older_than, e)
            else:
                self._record(report)
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except TimeoutError:
                continue

    def _record(self, report: PruneReport) -> None:
        if report.rows or (report.stream and report.stream.messages):
            log.info("retention: %s", report.message)
        with self._changed:
            self.last = report
            self.prunes += 1
            self._changed.notify_all()

    def wait_for_prunes(self, count: int, timeout: float) -> PruneReport:
        """Block (from another thread) until the hub made ``count`` prunes; return the last.

        Raises:
            TimeoutError: fewer within ``timeout`` seconds.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: self.prunes >= count, timeout):
                raise TimeoutError(
                    f"the hub made {self.prunes} of {count} retention prunes in {timeout:g} s"
                )
            assert self.last is not None
            return self.last

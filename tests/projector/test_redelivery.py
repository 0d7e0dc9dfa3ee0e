"""Idempotency: duplicates, crashes before the ack and failed writes leave counts unchanged."""

from __future__ import annotations

import asyncio
import contextlib
import threading

import msgspec
import nats

from benchtrail.projector import Projector, RowBatch, Warehouse, ensure_streams
from benchtrail.schemas import (
    DEAD_REASON_HEADER,
    DEAD_STREAM,
    MAX_FRAME_DAYS,
    SessionStarted,
    StationInfo,
)

FULL_RUN_COUNTS = {
    "events": 6,
    "measurement_events": 3,
    "sessions": 1,
    "session_ends": 1,
    "runs": 1,
    "run_ends": 1,
    "steps": 2,
    "instrument_calls": 0,
    "locks": 0,
    "measurements": 5,
    "run_points": 2,
    "measurement_tables": 0,
    "files": 0,
    "windows": 0,
    "window_devices": 0,
    "window_files": 0,
    "attachments": 0,
    "logs": 0,
}


class CrashAfterWrite:
    """Writes to the real warehouse, then hangs there, as a projector killed before its acks."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.written = threading.Event()
        self.release = threading.Event()

    def write(self, batch: RowBatch, max_days: int = MAX_FRAME_DAYS) -> dict[str, int]:
        counts = self.warehouse.write(batch, max_days)
        self.written.set()
        self.release.wait(10)
        return counts


class FailingWrites:
    """The real warehouse, unreachable for its first ``failures`` writes."""

    def __init__(self, warehouse: Warehouse, failures: int) -> None:
        self.warehouse = warehouse
        self.failures = failures

    def write(self, batch: RowBatch, max_days: int = MAX_FRAME_DAYS) -> dict[str, int]:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionRefusedError("warehouse went away")
        return self.warehouse.write(batch, max_days)


async def publish_full_run(js, publish, session, **msg_ids) -> int:
    events = session.full_run()
    await publish(js, events[:5], msg_id=msg_ids.get("first"))
    return await publish(js, events[5:], msg_id=msg_ids.get("second"))


def test_same_events_published_twice_leave_counts_unchanged(
    warehouse, hub_url, session, publish, fast_settings
):
    async def scenario():
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        async with Projector(warehouse, hub_url, settings=fast_settings) as projector:
            events = session.full_run()
            await publish(js, events[:5])
            seq = await publish(js, events[5:])
            await projector.wait_until_ingested(seq, timeout=5)
            assert warehouse.table_counts() == FULL_RUN_COUNTS

            await publish(js, events[:5], msg_id="resent-after-the-window-1")
            seq = await publish(js, events[5:], msg_id="resent-after-the-window-2")
            stats = await projector.wait_until_ingested(seq, timeout=5)
        await nc.close()
        return stats

    stats = asyncio.run(scenario())
    assert stats.frames == 4
    assert (stats.rows["events"], stats.rows["measurement_events"]) == (12, 6)
    assert warehouse.table_counts() == FULL_RUN_COUNTS


def test_crash_between_write_and_ack_is_redelivered_without_duplicates(
    warehouse, hub_url, session, publish, fast_settings
):
    settings = msgspec.structs.replace(fast_settings, ack_wait=0.5)
    crashing = CrashAfterWrite(warehouse)

    async def scenario():
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        await ensure_streams(js)
        seq = await publish_full_run(js, publish, session)

        first = Projector(crashing, hub_url, settings=settings)
        run = asyncio.create_task(first.run(asyncio.Event()))
        assert await asyncio.to_thread(crashing.written.wait, 5)
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run
        crashing.release.set()
        assert first.stats.frames == 0  # written, never acked
        assert warehouse.table_counts() == FULL_RUN_COUNTS

        async with Projector(warehouse, hub_url, settings=settings) as second:
            stats = await second.wait_until_ingested(seq, timeout=5)
        await nc.close()
        return stats

    stats = asyncio.run(scenario())
    assert stats.frames == 2  # the hub redelivered both frames to the new projector
    assert warehouse.table_counts() == FULL_RUN_COUNTS


def test_failed_write_is_redelivered_and_written_once(
    warehouse, hub_url, session, publish, fast_settings
):
    # The whole batch and both its halves fail: the frames are naked and come back.
    flaky = FailingWrites(warehouse, failures=3)

    async def scenario():
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        await ensure_streams(js)
        seq = await publish_full_run(js, publish, session)
        async with Projector(flaky, hub_url, settings=fast_settings) as projector:
            stats = await projector.wait_until_ingested(seq, timeout=5)
        await nc.close()
        return stats

    stats = asyncio.run(scenario())
    assert stats.write_failures == 3
    assert "warehouse went away" in stats.last_error
    assert stats.frames == 2
    assert stats.dead_letters == 0
    assert warehouse.table_counts() == FULL_RUN_COUNTS


POISON_AT = 1_700_000_000_123_456_789
"""``occurred_at`` of the one event the warehouse below refuses to store."""


class RefusesPoison:
    """The real warehouse, refusing every batch that holds the event stamped :data:`POISON_AT`."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    def write(self, batch: RowBatch, max_days: int = MAX_FRAME_DAYS) -> dict[str, int]:
        if (batch.occurred_at_ns() == POISON_AT).any():
            raise ValueError("the warehouse refuses this row")
        return self.warehouse.write(batch, max_days)


def test_a_frame_the_warehouse_rejects_holds_back_no_other(
    warehouse, hub_url, session, publish, fast_settings
):
    settings = msgspec.structs.replace(fast_settings, max_deliver=3)
    envelope = {**session.envelope(), "occurred_at": POISON_AT}
    poison = SessionStarted(**envelope, station=StationInfo(id=session.station_id))

    async def scenario():
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        await ensure_streams(js)
        events = session.full_run()
        await publish(js, events[:5])
        poison_seq = await publish(js, [poison])
        seq = await publish(js, events[5:])
        async with Projector(RefusesPoison(warehouse), hub_url, settings=settings) as projector:
            stats = await projector.wait_until_ingested(seq, timeout=5)
        dead = await js.get_msg(DEAD_STREAM, 1)
        await nc.close()
        return stats, poison_seq, dead

    stats, poison_seq, dead = asyncio.run(scenario())
    assert stats.dead_letters == 1
    assert dead.headers[DEAD_REASON_HEADER].startswith("write-failed: on its last delivery (3)")
    assert int(dead.headers["Bt-Original-Sequence"]) == poison_seq
    assert warehouse.table_counts() == FULL_RUN_COUNTS

"""Starting, stopping, stats and waiting: what an embedding application relies on."""

from __future__ import annotations

import asyncio
import socket
import time

import msgspec
import nats
import pytest
from nats.js.api import AckPolicy, DeliverPolicy

from benchtrail.projector import (
    HubUnavailable,
    IngestTimeout,
    Projector,
    ProjectorStateError,
    StreamSettings,
    ensure_streams,
)
from benchtrail.schemas import DEAD_STREAM, EVENTS_STREAM, PROJECTOR_DURABLE


def test_stats_and_wait_report_what_was_ingested(
    warehouse, hub_url, session, publish, fast_settings
):
    started_ns = time.time_ns()

    async def scenario():
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        async with Projector(warehouse, hub_url, settings=fast_settings) as projector:
            assert projector.running
            events = session.full_run()
            await publish(js, events[:4])
            seq = await publish(js, events[4:])
            stats = await projector.wait_until_ingested(seq, timeout=5)
            with pytest.raises(IngestTimeout) as timed_out:
                await projector.wait_until_ingested(seq + 1, timeout=0.1)
        await nc.close()
        return seq, stats, timed_out.value, projector

    seq, stats, timed_out, projector = asyncio.run(scenario())
    assert not projector.running
    assert (stats.frames, stats.events, stats.dead_letters) == (2, 9, 0)
    assert stats.rows == {
        "events": 6,
        "measurement_events": 3,
        "sessions": 1,
        "session_ends": 1,
        "runs": 1,
        "run_ends": 1,
        "steps": 2,
        "measurements": 5,
        "run_points": 2,
    }
    assert 1 <= stats.batches <= 2
    assert stats.last_stream_seq == stats.ingested_through == seq
    assert started_ns < stats.last_ingest_at_ns <= time.time_ns()
    assert stats.last_error == ""
    assert timed_out.ingested_through == seq
    assert f"stream sequence {seq + 1} ingested" in str(timed_out)


def test_stop_writes_the_batch_in_hand_and_a_restart_redoes_nothing(
    warehouse, hub_url, session, publish, fast_settings
):
    patient = msgspec.structs.replace(fast_settings, batch_max_wait=60.0, ack_wait=60.0)

    async def scenario():
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        first = Projector(warehouse, hub_url, settings=patient)
        await first.start()
        events = session.full_run()
        await publish(js, events[:3])
        seq = await publish(js, events[3:])
        await first.wait_for(lambda stats: stats.buffered_frames == 2, timeout=5)
        assert first.stats.frames == 0
        await first.stop()
        after_stop = first.stats

        async with Projector(warehouse, hub_url, settings=patient) as second:
            restarted = await second.wait_until_ingested(seq, timeout=5)
        await nc.close()
        return after_stop, restarted

    after_stop, restarted = asyncio.run(scenario())
    assert (after_stop.frames, after_stop.buffered_frames) == (2, 0)
    assert warehouse.table_counts()["events"] + warehouse.table_counts()["measurement_events"] == 9
    assert restarted.frames == 0  # everything was acked before the first one stopped


def test_start_raises_when_the_hub_cannot_be_reached(warehouse, fast_settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = msgspec.structs.replace(fast_settings, connect_timeout=0.3)
    projector = Projector(warehouse, f"nats://127.0.0.1:{port}", settings=settings)

    with pytest.raises(HubUnavailable) as raised:
        asyncio.run(projector.start())
    assert f"127.0.0.1:{port}" in str(raised.value)
    assert not projector.running


def test_start_twice_is_refused(warehouse, hub_url, fast_settings):
    async def scenario():
        async with Projector(warehouse, hub_url, settings=fast_settings) as projector:
            with pytest.raises(ProjectorStateError):
                await projector.start()

    asyncio.run(scenario())


def test_ensure_streams_creates_then_updates_both_streams(hub_url, fast_settings):
    async def scenario():
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        await ensure_streams(js)
        events, dead = await ensure_streams(js, StreamSettings(max_age=3600.0))
        again, _ = await ensure_streams(js, StreamSettings(max_age=3600.0))
        async with Projector(_Unused(), hub_url, settings=fast_settings):
            consumer = await js.consumer_info(EVENTS_STREAM, PROJECTOR_DURABLE)
        await nc.close()
        return events, dead, again, consumer

    events, dead, again, consumer = asyncio.run(scenario())
    assert (events.config.name, events.config.subjects) == (EVENTS_STREAM, ["bt.evt.>"])
    assert (dead.config.name, dead.config.subjects) == (DEAD_STREAM, ["bt.dead.>"])
    assert events.config.max_age == again.config.max_age == 3600.0
    assert events.config.duplicate_window == 600.0
    assert events.config.max_msg_size == 1_048_576
    assert dead.config.max_age == 365 * 86_400.0
    assert (consumer.config.ack_wait, consumer.config.max_deliver) == (30.0, 10)
    assert consumer.config.ack_policy == AckPolicy.EXPLICIT
    assert consumer.config.deliver_policy == DeliverPolicy.ALL


class _Unused:
    def write(self, batch, max_days=None):
        raise AssertionError("nothing should be written")


def test_projection_continues_after_the_hub_restarts(
    warehouse, nats_server, session, publish, fast_settings
):
    settings = msgspec.structs.replace(fast_settings, reconnect_time_wait=0.1)
    events = session.full_run()

    async def publish_and_wait(projector, frame) -> int:
        nc = await nats.connect(nats_server.url)
        seq = await publish(nc.jetstream(), frame)
        await projector.wait_until_ingested(seq, timeout=8)
        await nc.close()
        return seq

    async def scenario():
        async with Projector(warehouse, nats_server.url, settings=settings) as projector:
            await publish_and_wait(projector, events[:4])
            await asyncio.to_thread(nats_server.restart)
            seq = await publish_and_wait(projector, events[4:])
        return seq, projector.stats

    seq, stats = asyncio.run(scenario())
    assert (stats.frames, stats.ingested_through) == (2, seq)
    assert warehouse.table_counts()["events"] + warehouse.table_counts()["measurement_events"] == 9

"""What a station's credentials allow on the hub's nats-server, and what they refuse.

The hub runs with ``auth``: its nats-server configuration is generated from the station
registry, so these are the permissions a real deployment gets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import nats
import nats.errors
import pytest
from nats.aio.client import Client as NatsClient

from benchtrail.agents import connect
from benchtrail.agents.errors import PermissionDenied
from benchtrail.agents.locks import Holder, Locks
from benchtrail.api import EventStore
from benchtrail.api.hub.embedded import Hub
from benchtrail.schemas import DEAD_STREAM, EVENTS_STREAM, LOCKS_BUCKET, NatsAccess, event_tag

ATTACK_TIMEOUT = 1.0
"""A refused JetStream request is never answered: the client gives up after this."""


async def station_client(
    hub: Hub, identity: str, credentials: Path
) -> tuple[NatsClient, list[str]]:
    """A raw nats-py client of ``identity``, as any program holding its seed could open."""
    errors: list[str] = []

    async def on_error(e: Exception) -> None:
        errors.append(str(e))

    access = NatsAccess.of(identity, str(credentials))
    nc = await nats.connect(hub.nats.url, error_cb=on_error, **access.connect_options())
    return nc, errors


async def stored(hub: Hub, stream: str, subjects: str = ">") -> int:
    """Messages in ``stream`` on ``subjects``, as the hub's own identity sees them."""
    access = hub.access.hub
    nc = await nats.connect(hub.nats.url, **access.connect_options())
    try:
        info = await nc.jetstream().stream_info(stream, subjects_filter=subjects)
        return sum((info.state.subjects or {}).values()) if subjects != ">" else info.state.messages
    finally:
        await nc.close()


def test_a_station_records_a_session_and_takes_its_own_and_shared_locks(
    auth_hub: Hub, add_station: Callable[[str], Path], viewer_token: str
):
    credentials = str(add_station("cell-7"))
    url = auth_hub.nats.url
    with connect("cell-7", hub=url, credentials=credentials, mock=True) as station:
        station.instrument("psu")
        station.instrument("dmm", shared=True)
        with station.run(dut_serial="SN-1") as run:
            run.measure("vout", 5.0, unit="V", low=4.9, high=5.1)
        with (
            connect("cell-7", hub=url, credentials=credentials, mock=True) as second,
            ThreadPoolExecutor(1) as pool,
        ):
            waiting = pool.submit(second.instrument, "psu", wait=10)  # watches the busy key
            assert not wait([waiting], timeout=1.0).done, "the psu is busy: it must wait"
            station.stop()
            assert waiting.result(10).alias == "psu"
    auth_hub.wait_ingested()
    with EventStore(auth_hub.api_url, token=viewer_token) as store:
        sessions = store.sessions(station_id="cell-7")
        assert {s.status for s in sessions} == {"ended"} and len(sessions) == 2
        events = store.events(station.session_id, limit=None)
    locks = [e.key.split(".")[0] for e in events if event_tag(type(e)) == "lock.acquired"]  # type: ignore[attr-defined]
    assert sorted(locks) == ["cell-7", "shared"]


def test_a_station_cannot_publish_as_another_nothing_is_stored(
    auth_hub: Hub, add_station: Callable[[str], Path]
):
    credentials = add_station("cell-7")

    async def attack() -> list[str]:
        nc, errors = await station_client(auth_hub, "cell-7", credentials)
        with pytest.raises(nats.errors.TimeoutError):
            await nc.jetstream().publish("bt.evt.cell-8.s-1", b"\x90", timeout=ATTACK_TIMEOUT)
        with pytest.raises(nats.errors.TimeoutError):
            await nc.jetstream().publish("bt.dead.cell-8.s-1", b"\x90", timeout=ATTACK_TIMEOUT)
        await nc.close()
        return errors

    errors = asyncio.run(attack())
    assert any('publish to "bt.evt.cell-8.s-1"' in e.lower() for e in errors), errors
    assert asyncio.run(stored(auth_hub, EVENTS_STREAM, "bt.evt.cell-8.>")) == 0
    assert asyncio.run(stored(auth_hub, DEAD_STREAM)) == 0


def test_the_agent_names_the_station_and_subject_refused_and_keeps_the_events(
    auth_hub: Hub, add_station: Callable[[str], Path]
):
    credentials = str(add_station("cell-7"))
    station = connect("cell-8", hub=auth_hub.nats.url, credentials=credentials).start()
    with pytest.raises(PermissionDenied, match=r"station 'cell-8' may not \w+ to '\S*cell-8") as e:
        station.stop()
    assert e.value.credentials == credentials
    assert station.publisher.unacknowledged > 0, "what was refused stays in the outbox"
    assert asyncio.run(stored(auth_hub, EVENTS_STREAM, "bt.evt.cell-8.>")) == 0


def test_a_station_cannot_purge_delete_or_change_any_stream(
    auth_hub: Hub, add_station: Callable[[str], Path]
):
    credentials = add_station("cell-7")
    with connect("cell-7", hub=auth_hub.nats.url, credentials=str(credentials)) as station:
        station.log("on record")
    before = asyncio.run(stored(auth_hub, EVENTS_STREAM))

    async def attack() -> None:
        nc, _ = await station_client(auth_hub, "cell-7", credentials)
        js = nc.jetstream(timeout=ATTACK_TIMEOUT)
        for stream in (EVENTS_STREAM, DEAD_STREAM, f"KV_{LOCKS_BUCKET}"):
            with pytest.raises(nats.errors.TimeoutError):
                await js.purge_stream(stream)
            with pytest.raises(nats.errors.TimeoutError):
                await js.delete_stream(stream)
        config = (await js.stream_info(EVENTS_STREAM)).config  # allowed: publishing needs it
        config.max_age = 1.0  # an update that would drop everything older than a second
        with pytest.raises(nats.errors.TimeoutError):
            await js.update_stream(config)
        with pytest.raises(nats.errors.TimeoutError):
            await js.add_consumer(EVENTS_STREAM, durable_name="spy")
        await nc.close()

    asyncio.run(attack())
    assert before > 0 and asyncio.run(stored(auth_hub, EVENTS_STREAM)) == before


def test_a_station_cannot_take_another_stations_lock_key(
    auth_hub: Hub, add_station: Callable[[str], Path], viewer_token: str
):
    credentials = str(add_station("cell-7"))
    with connect("cell-7", hub=auth_hub.nats.url, credentials=credentials) as station:

        async def take(key: str) -> None:
            locks = await Locks(await station.publisher.jetstream()).open()
            holder = Holder(station_id="cell-7", session_id=station.session_id, resource="psu")
            await locks.acquire(key, holder)

        with pytest.raises(PermissionDenied, match=r"'\$KV\.bt_locks\.cell-8\.psu'") as e:
            station.publisher.run(take("cell-8.psu"), 10)
        assert e.value.station_id == "cell-7"
        station.log("the session goes on")
    with EventStore(auth_hub.api_url, token=viewer_token) as store:
        assert store.locks() == []

"""``GET /api/live``: every station's events or one station's; a consumer per open client."""

from __future__ import annotations

import asyncio
import time

import httpx
import nats

from benchtrail.agents import connect
from benchtrail.api.hub.embedded import Hub
from benchtrail.schemas import EVENTS_STREAM, PROJECTOR_DURABLE

from .sse import blocks, events, take, take_until

TIMEOUT = httpx.Timeout(20.0)


def _record_one_run(hub: Hub, station_id: str, serial: str) -> str:
    with (
        connect(station_id, hub=hub.nats.url) as station,
        station.run(dut_serial=serial) as run,
    ):
        run.measure("v", 1.0)
    return station.session_id


def test_a_station_feed_carries_only_that_stations_events(running_hub: Hub) -> None:
    url = f"{running_hub.api_url}/api/live"
    with (
        httpx.Client(timeout=TIMEOUT) as client,
        client.stream("GET", url, params={"station_id": "cell-a"}) as station_a,
        client.stream("GET", url) as fleet,
    ):
        session_b = _record_one_run(running_hub, "cell-b", "SN-B")
        session_a = _record_one_run(running_hub, "cell-a", "SN-A")
        only_a = take_until(events(station_a), "session.ended")
        fleet_events = events(fleet)
        everything = take_until(fleet_events, "session.ended")
        everything += take_until(fleet_events, "session.ended")

    assert {e.payload["station_id"] for e in only_a} == {"cell-a"}
    assert {e.payload["session_id"] for e in only_a} == {session_a}
    assert [e.payload["dut"]["serial"] for e in only_a if e.event == "run.started"] == ["SN-A"]
    assert only_a[0].event == "session.started", "the first event of cell-a"
    by_session = {e.payload["session_id"] for e in everything}
    assert by_session == {session_a, session_b}


def test_the_feed_does_not_replay_what_was_published_before_it_opened(running_hub: Hub) -> None:
    _record_one_run(running_hub, "cell-a", "SN-OLD")
    url = f"{running_hub.api_url}/api/live"
    with httpx.Client(timeout=TIMEOUT) as client, client.stream("GET", url) as response:
        feed = events(response)
        _record_one_run(running_hub, "cell-a", "SN-NEW")
        received = take_until(feed, "session.ended")

    serials = [e.payload["dut"]["serial"] for e in received if e.event == "run.started"]
    assert serials == ["SN-NEW"]
    assert received[0].event == "session.started"


def _consumers(url: str) -> int:
    async def count() -> int:
        nc = await nats.connect(url)
        try:
            info = await nc.jetstream().stream_info(EVENTS_STREAM)
            return int(info.state.consumer_count)
        finally:
            await nc.close()

    return asyncio.run(count())


def _wait_for_consumers(url: str, expected: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while (count := _consumers(url)) != expected and time.monotonic() < deadline:
        time.sleep(0.05)  # the hub deletes a consumer when the client's connection drops
    return count


def test_a_feeds_consumer_is_deleted_when_its_client_leaves(running_hub: Hub) -> None:
    nats_url = running_hub.nats.url
    assert _consumers(nats_url) == 1, "only the projector's durable consumer"
    url = f"{running_hub.api_url}/api/live"
    with httpx.Client(timeout=TIMEOUT) as client:
        with client.stream("GET", url) as response:
            stream = blocks(response)
            next(stream)  # the feed is open
            assert _consumers(nats_url) == 2
        assert _wait_for_consumers(nats_url, 1) == 1

    async def names() -> list[str]:
        nc = await nats.connect(nats_url)
        try:
            return [c.name for c in await nc.jetstream().consumers_info(EVENTS_STREAM)]
        finally:
            await nc.close()

    assert asyncio.run(names()) == [PROJECTOR_DURABLE]


def test_an_open_feed_ends_when_the_hub_stops(running_hub: Hub) -> None:
    url = f"{running_hub.api_url}/api/live"
    params = {"keepalive": "300"}  # silence: a feed left open would hit the read timeout
    with httpx.Client(timeout=TIMEOUT) as client, client.stream("GET", url, params=params) as r:
        stream = blocks(r)
        next(stream)
        running_hub.request_stop()
        rest = list(stream)  # returns once the server ends the response

    assert [b for b in rest if b.event] == []


def test_several_clients_of_one_station_each_get_every_event(running_hub: Hub) -> None:
    url = f"{running_hub.api_url}/api/live"
    params = {"station_id": "cell-a", "event_type": "measurement"}
    with (
        httpx.Client(timeout=TIMEOUT) as client,
        client.stream("GET", url, params=params) as first,
        client.stream("GET", url, params=params) as second,
    ):
        with (
            connect("cell-a", hub=running_hub.nats.url) as station,
            station.run(dut_serial="SN-1") as run,
        ):
            for value in range(5):
                run.measure("v", float(value))
        values = [[e.payload["value"] for e in take(events(r), 5)] for r in (first, second)]

    assert values == [[0.0, 1.0, 2.0, 3.0, 4.0]] * 2

"""Live feeds cannot take the hub down: counted, bounded, and cut off when their client stalls."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import nats
import numpy as np
import pytest

from benchtrail.agents import connect
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.hub.live_limits import FELL_BEHIND, LiveLimits
from benchtrail.schemas import EVENTS_STREAM, PROJECTOR_DURABLE

from .sse import events, take, take_until

TIMEOUT = httpx.Timeout(20.0)
StartHub = Callable[..., AbstractContextManager[Hub]]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def _record_history(hub: Hub, batches: int) -> str:
    """A session whose stream holds ``batches`` measurement batches of 20,000 points."""
    with connect("cell-big", hub=hub.nats.url) as station, station.run(dut_serial="SN") as run:
        for _ in range(batches):
            run.measure_batch("ripple", np.random.default_rng(1).random(20_000), interval_ns=1000)
    hub.wait_ingested(60)
    return station.session_id


def _never_reading_client(hub: Hub, path: str) -> socket.socket:
    """A connection that asks for a feed and then never reads a byte."""
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect(("127.0.0.1", hub.http_port))
    client.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return client


@pytest.fixture
def open_feeds() -> Iterator[list[AbstractContextManager[httpx.Response]]]:
    streams: list[AbstractContextManager[httpx.Response]] = []
    yield streams
    for stream in streams:
        stream.__exit__(None, None, None)


def test_a_feed_beyond_the_hubs_limit_is_refused_until_one_ends(start_hub: StartHub) -> None:
    with start_hub(live=LiveLimits(max_feeds=2)) as hub, httpx.Client(timeout=TIMEOUT) as client:
        url = f"{hub.api_url}/api/live"
        with client.stream("GET", url) as first, client.stream("GET", url) as second:
            assert first.status_code == second.status_code == 200
            refused = client.get(url)
            assert refused.status_code == 503
            body = refused.json()
            assert body["error"] == "limit_reached" and body["limit"] == "max_feeds"
            assert "max_feeds=2" in body["detail"]
        with client.stream("GET", url) as again:  # both ended: there is room again
            assert again.status_code == 200


def test_one_client_address_gets_its_own_limit(start_hub: StartHub) -> None:
    limits = LiveLimits(max_feeds=10, max_feeds_per_client=1)
    other = httpx.HTTPTransport(local_address="127.0.0.2")
    with (
        start_hub(live=limits) as hub,
        httpx.Client(timeout=TIMEOUT) as client,
        httpx.Client(timeout=TIMEOUT, transport=other) as neighbour,
    ):
        url = f"{hub.api_url}/api/live"
        with client.stream("GET", url) as mine:
            assert mine.status_code == 200
            refused = client.get(url)
            assert refused.status_code == 429
            assert refused.json()["limit"] == "max_feeds_per_client"
            with neighbour.stream("GET", url) as theirs:
                assert theirs.status_code == 200


def test_a_replay_from_further_back_than_the_bound_is_a_400_naming_it(start_hub: StartHub) -> None:
    with start_hub(live=LiveLimits(replay_max_frames=2)) as hub:
        with connect("cell-1", hub=hub.nats.url) as station, station.run(dut_serial="SN") as run:
            for index in range(5):
                run.measure("v", float(index))
                station.flush()
        refused = httpx.get(f"{hub.api_url}/api/live", params={"since": "0"}, timeout=TIMEOUT)
        assert refused.status_code == 400
        body = refused.json()
        assert body["parameter"] == "since" and "replay_max_frames" in body["expected"]
        old_id = {"Last-Event-ID": "1:0"}
        resumed = httpx.get(f"{hub.api_url}/api/live", headers=old_id, timeout=TIMEOUT)
        assert resumed.status_code == 400 and resumed.json()["parameter"] == "Last-Event-ID"


def test_a_client_that_falls_behind_gets_closed_and_resumes_with_last_event_id(
    start_hub: StartHub,
) -> None:
    limits = LiveLimits(pending_bytes=2 * 1024 * 1024)  # two of the largest frames
    with start_hub(live=limits) as hub:
        session_id = _record_history(hub, batches=60)
        url = f"{hub.api_url}/api/sessions/{session_id}/live"
        with httpx.Client(timeout=TIMEOUT) as client:
            with client.stream("GET", url, params={"since": "0"}) as response:
                feed = events(response)
                received = take(feed, 2)
                time.sleep(2.0)  # not reading: the feed's frames pile up on the hub
                received += list(feed)  # the feed ends by itself
            assert received[-1].event == "closed" and received[-1].data == FELL_BEHIND
            delivered = [e for e in received if e.event != "closed"]
            with client.stream(
                "GET", url, headers={"Last-Event-ID": delivered[-1].id}
            ) as resumed_response:
                resumed = take(events(resumed_response), 1)[0]
        frame, index = delivered[-1].position
        assert resumed.position in ((frame, index + 1), (frame + 1, 0))


def test_a_client_that_never_reads_is_cut_off_while_the_hub_keeps_answering(
    start_hub: StartHub,
) -> None:
    limits = LiveLimits(max_feeds=3, send_timeout_s=2.0, pending_msgs=8)
    with start_hub(live=limits) as hub:
        _record_history(hub, batches=60)
        rss_before = _rss_mb(os.getpid())
        nats_before = _rss_mb(hub.nats.pid)
        stalled = [_never_reading_client(hub, "/api/live?since=0") for _ in range(2)]
        health_ms: list[float] = []
        with contextlib.ExitStack() as closing, httpx.Client(timeout=TIMEOUT) as client:
            for connection in stalled:
                closing.callback(connection.close)
            live = f"{hub.api_url}/api/live?station_id=cell-1"
            with client.stream("GET", live) as reader:  # the third and last place
                assert client.get(f"{hub.api_url}/api/live").status_code == 503
                with connect("cell-1", hub=hub.nats.url) as station:
                    station.log("still live")
                deadline = time.monotonic() + 30
                admitted = 503
                while admitted == 503 and time.monotonic() < deadline:
                    started = time.perf_counter()
                    assert client.get(f"{hub.api_url}/api/health").status_code == 200
                    health_ms.append((time.perf_counter() - started) * 1000)
                    with client.stream("GET", f"{hub.api_url}/api/live") as probe:
                        admitted = probe.status_code
                    time.sleep(0.05)
                assert admitted == 200, "the stalled feeds still hold their places"
                logged = take_until(events(reader), "log")[-1]
                assert logged.payload["message"] == "still live"
            rss_after = _rss_mb(os.getpid())
            nats_after = _rss_mb(hub.nats.pid)
            for connection in stalled:  # the hub ended them: draining reaches the end
                connection.settimeout(10)
                while connection.recv(1 << 20):
                    pass
    median = statistics.median(health_ms)
    print(
        f"hub RSS {rss_before:.0f} -> {rss_after:.0f} MB, nats-server RSS {nats_before:.0f}"
        f" -> {nats_after:.0f} MB, health median {median:.1f} ms, slowest {max(health_ms):.1f} ms"
        f" over {len(health_ms)} requests"
    )
    # A hub held up by the stalled feeds would answer no faster than their send timeout; one
    # slow answer is the machine's (CI saw one of 812 ms among 42 on a shared 2-core VM):
    # the health latency under load is measured by benchmarks/abuse.py, not asserted here.
    assert median < 100
    assert max(health_ms) < limits.send_timeout_s * 1000
    assert rss_after - rss_before < 150
    assert nats_after - nats_before < 150


def _feed_consumers(hub: Hub) -> int:
    """Consumers on the events stream other than the projector's (the feeds' own)."""

    async def count() -> int:
        nc = await nats.connect(hub.local_nats_url, **hub.access.hub.connect_options())
        try:
            consumers = await nc.jetstream().consumers_info(EVENTS_STREAM)
        finally:
            await nc.close()
        return sum(1 for c in consumers if c.name != PROJECTOR_DURABLE)

    return asyncio.run(count())


def test_a_feed_whose_client_never_reads_ends_within_its_bound_and_frees_everything(
    start_hub: StartHub,
) -> None:
    limits = LiveLimits(max_feeds=4, send_timeout_s=1.0, pending_msgs=8)
    with start_hub(live=limits) as hub:
        _record_history(hub, batches=30)  # far more than the socket buffers hold
        feeds = hub.upkeep.hub_link.live_feeds  # type: ignore[union-attr]
        opened = time.monotonic()
        stalled = _never_reading_client(hub, "/api/live?since=0")
        with contextlib.closing(stalled):
            deadline = opened + 10
            while feeds.open_feeds == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert feeds.open_feeds == 1, "the feed was admitted"
            bound = limits.send_timeout_s + 1.0 + 3.0  # its send timeout, the farewell, slack
            while feeds.open_feeds and time.monotonic() < opened + bound:
                time.sleep(0.05)
            ended_after = time.monotonic() - opened
            assert feeds.open_feeds == 0, f"the stalled feed still counts after {ended_after:.1f} s"
            assert _feed_consumers(hub) == 0, "its consumer on the hub is deleted"
            connections = hub.api.server_state.connections  # type: ignore[union-attr]
            while connections and time.monotonic() < opened + bound:
                time.sleep(0.05)
            assert not connections, (
                "the hub still holds the connection of a client that never reads"
            )
            stalled.settimeout(10)
            received = b""
            with contextlib.suppress(ConnectionResetError):  # dropped, not flushed
                while chunk := stalled.recv(1 << 20):
                    received += chunk
        assert received.startswith(b"HTTP/1.1 200"), received[:200]
        assert b"event: closed" not in received, "no byte more reaches a client that never reads"

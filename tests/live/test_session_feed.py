"""``GET /api/sessions/{id}/live``: a session's events pushed from JetStream as they arrive."""

from __future__ import annotations

import httpx

from benchtrail.agents import connect
from benchtrail.api.hub.embedded import Hub

from .sse import blocks, events, take, take_until

TIMEOUT = httpx.Timeout(20.0)


def test_events_published_after_connecting_arrive_in_order(running_hub: Hub) -> None:
    station = connect("cell-1", hub=running_hub.nats.url, operator="alice")
    url = f"{running_hub.api_url}/api/sessions/{station.session_id}/live"
    with httpx.Client(timeout=TIMEOUT) as client, client.stream("GET", url) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        feed = events(response)
        station.start()  # after the feed is open: only new events exist
        with station.run(dut_serial="SN-1") as run:
            for value in (4.99, 5.0, 5.01):
                run.measure("vout", value, unit="V", low=4.95, high=5.05)
        station.stop()
        received = take_until(feed, "session.ended")

    assert [e.event for e in received] == [
        "session.started",
        "run.started",
        "measurement",
        "measurement",
        "measurement",
        "run.ended",
        "session.ended",
    ]
    assert [e.payload["seq"] for e in received] == list(range(1, 8))
    assert all(e.payload["session_id"] == station.session_id for e in received)
    assert [e.payload["value"] for e in received if e.event == "measurement"] == [4.99, 5.0, 5.01]
    assert received[-2].payload["outcome"] == "passed"
    positions = [e.position for e in received]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)


def test_a_client_resumes_with_last_event_id_without_gaps_or_duplicates(running_hub: Hub) -> None:
    station = connect("cell-1", hub=running_hub.nats.url).start()
    url = f"{running_hub.api_url}/api/sessions/{station.session_id}/live"
    with httpx.Client(timeout=TIMEOUT) as client:
        with client.stream("GET", url, params={"since": "0"}) as response:
            feed = events(response)
            first = take(feed, 1)  # session.started, from the stream's history
            run = station.run(dut_serial="SN-2")
            for index in range(10):  # one burst: several events share a frame
                run.measure("current", float(index), unit="A")
            first += take(feed, 4)
        last_id = first[-1].id
        # Disconnected: the station goes on recording.
        for index in range(10, 20):
            run.measure("current", float(index), unit="A")
        run.end()
        station.stop()
        headers = {"Last-Event-ID": last_id}
        with client.stream("GET", url, headers=headers, params={"since": "0"}) as response:
            rest = take_until(events(response), "session.ended")

    seqs = [e.payload["seq"] for e in first + rest]
    assert seqs == list(range(1, 25)), "every event exactly once, in order"
    assert any(index > 0 for _, index in (e.position for e in first + rest)), (
        "the burst should have shared frames: resuming inside a frame is what this tests"
    )
    values = [e.payload["value"] for e in first + rest if e.event == "measurement"]
    assert values == [float(i) for i in range(20)]


def test_resuming_inside_a_frame_starts_at_the_next_event(running_hub: Hub) -> None:
    with (
        connect("cell-1", hub=running_hub.nats.url) as station,
        station.run(dut_serial="SN-3") as run,
    ):
        for index in range(8):
            run.measure("v", float(index))
    url = f"{running_hub.api_url}/api/sessions/{station.session_id}/live"
    with httpx.Client(timeout=TIMEOUT) as client:
        with client.stream("GET", url, params={"since": "0"}) as response:
            history = take_until(events(response), "session.ended")
        shared = [e for e in history if e.position[1] > 0]
        assert shared, f"no frame held two events: {[e.id for e in history]}"
        middle = shared[0]
        params = {"last_event_id": middle.id}
        with client.stream("GET", url, params=params) as response:
            after = take_until(events(response), "session.ended")

    assert [e.id for e in after] == [e.id for e in history[history.index(middle) + 1 :]]


def test_the_feed_can_be_limited_to_some_event_types(running_hub: Hub) -> None:
    station = connect("cell-1", hub=running_hub.nats.url)
    url = f"{running_hub.api_url}/api/sessions/{station.session_id}/live"
    params = {"event_type": ["run.started", "run.ended"]}
    with httpx.Client(timeout=TIMEOUT) as client, client.stream("GET", url, params=params) as r:
        with station:
            for serial in ("SN-4", "SN-5"):
                with station.run(dut_serial=serial) as run:
                    run.measure("v", 1.0)
        received = take(events(r), 4)

    assert [e.event for e in received] == ["run.started", "run.ended"] * 2
    assert [e.payload["dut"]["serial"] for e in received if e.event == "run.started"] == [
        "SN-4",
        "SN-5",
    ]


def test_an_idle_feed_sends_keep_alive_comments(running_hub: Hub) -> None:
    url = f"{running_hub.api_url}/api/sessions/quiet-session/live"
    params = {"keepalive": "0.2"}
    with httpx.Client(timeout=TIMEOUT) as client, client.stream("GET", url, params=params) as r:
        stream = blocks(r)
        hello = next(stream)
        keepalives = [next(stream) for _ in range(2)]

    assert hello.retry is not None and hello.retry > 0
    assert all(b.comments == ["keep-alive"] and not b.event for b in keepalives)

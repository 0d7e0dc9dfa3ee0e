"""Station faults: the hub down, the hub losing what it acknowledged, kill -9 and SIGTERM
of a recording station. Every measurement a station committed ends up stored exactly once."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nats
import pytest

from benchtrail.agents import connect
from benchtrail.agents.publishing.outboxes import RECOVERED_REASON
from benchtrail.agents.publishing.sqlite_outbox import outbox_files
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.hub.natsserver import NatsServer
from benchtrail.projector.streams import ensure_streams
from benchtrail.schemas import EVENTS_STREAM, Event, Measurement, decode_frame, expand_events

from .conftest import wait_until

CHILD = Path(__file__).with_name("recording_station.py")


def _ensure_streams(url: str) -> None:
    async def ensure() -> None:
        nc = await nats.connect(url)
        try:
            await ensure_streams(nc.jetstream())
        finally:
            await nc.close()

    asyncio.run(ensure())


def _stream_events(url: str) -> list[Event]:
    async def read() -> list[Event]:
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            total = (await js.stream_info(EVENTS_STREAM)).state.messages
            events: list[Event] = []
            for seq in range(1, total + 1):
                data = (await js.get_msg(EVENTS_STREAM, seq)).data or b""
                events.extend(expand_events(decode_frame(data)))
            return events
        finally:
            await nc.close()

    return asyncio.run(read())


@contextmanager
def _recording_child(station_id: str, hub: str) -> Iterator[subprocess.Popen[str]]:
    child = subprocess.Popen(
        [sys.executable, str(CHILD), station_id, hub],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=30)


def _read_until_stored(child: subprocess.Popen[str], at_least: int) -> tuple[str, int]:
    """The child's session id, and how many measurements it reported committed."""
    assert child.stdout is not None
    session_id, stored = "", 0
    while stored < at_least:
        line = child.stdout.readline()
        assert line, f"the station child ended early: {child.communicate(timeout=30)[1]}"
        kind, _, value = line.strip().partition(" ")
        if kind == "session":
            session_id = value
        elif kind == "stored":
            stored = int(value)
    return session_id, stored


def _measured(hub: Hub, session_id: str) -> tuple[list[float], int]:
    """The session's ``n`` values as the API reads them (FINAL), and the raw row count."""
    warehouse = hub.warehouse
    assert warehouse is not None
    db = warehouse.database
    where = "WHERE session_id = {s:String} AND name = 'n'"
    final = warehouse.rows(
        f"SELECT value FROM {db}.measurements FINAL {where} ORDER BY value", {"s": session_id}
    )
    (raw,) = warehouse.rows(
        f"SELECT count() AS c FROM {db}.measurements {where}", {"s": session_id}
    )
    return [row["value"] for row in final], raw["c"]


def _session_end(hub: Hub, session_id: str) -> dict[str, object]:
    warehouse = hub.warehouse
    assert warehouse is not None
    (end,) = warehouse.rows(
        f"SELECT reason, event_count FROM {warehouse.database}.session_ends FINAL"
        " WHERE session_id = {s:String}",
        {"s": session_id},
    )
    return end


def test_a_station_records_while_the_hub_is_down_and_delivers_in_order_when_it_starts(
    nats_server: NatsServer,
):
    _ensure_streams(nats_server.url)
    nats_server.stop()
    station = connect("cell-down", hub=nats_server.url).start()
    started = time.perf_counter()
    with station.run(dut_serial="SN-1") as run:
        for i in range(5000):
            run.measure("n", float(i))
    recording_s = time.perf_counter() - started
    assert recording_s < 5, f"recording waited on the network: {recording_s:.1f} s"
    assert station.publisher.wait_stored(30)
    assert station.unacknowledged == 5003

    nats_server.restart()
    station.stop()
    events = _stream_events(nats_server.url)
    assert [e.seq for e in events] == list(range(1, 5005)), "in order, none lost or doubled"
    values = [e.value for e in events if isinstance(e, Measurement)]
    assert values == [float(i) for i in range(5000)]
    assert outbox_files(station.publisher.outbox_dir) == [], "delivered files are deleted"


def test_frames_the_hub_acknowledged_then_lost_are_resent_after_it_returns(
    nats_server: NatsServer,
):
    _ensure_streams(nats_server.url)
    station = connect("cell-lost", hub=nats_server.url).start()
    with station.run(dut_serial="SN-1") as run:
        for i in range(3000):
            run.measure("n", float(i))
    station.flush()
    assert len(_stream_events(nats_server.url)) == 3003

    # The hub acknowledged everything, then lost its store (as a kill -9 before its
    # writes reached the disk would): the station still keeps the acked frames.
    nats_server.stop()
    shutil.rmtree(nats_server.store_dir)
    nats_server.requested_port = nats_server.port
    nats_server.start()
    _ensure_streams(nats_server.url)
    wait_until(lambda: len(_stream_events(nats_server.url)) >= 3003, 20, "replayed frames landed")
    station.stop()
    events = _stream_events(nats_server.url)
    assert sorted(e.seq for e in events) == list(range(1, 3005)), "restored exactly once"
    assert station.publisher.stats.frames_replayed > 0


@pytest.mark.parametrize("reachable", [True, False], ids=["hub-up", "hub-unreachable"])
def test_kill_9_of_a_recording_station_loses_nothing_it_committed(
    running_hub: Hub, outbox_dir: Path, reachable: bool
):
    hub = running_hub.nats.url
    with _recording_child("cell-k9", hub if reachable else "nats://127.0.0.1:1") as child:
        session_id, stored = _read_until_stored(child, 2000)
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    orphans = outbox_files(outbox_dir / "cell-k9")
    assert orphans, "the killed station left its outbox file"

    with connect("cell-k9", hub=hub) as station:  # the next session takes the file over
        assert station.publisher.stats.frames_recovered > 0
    running_hub.wait_ingested()

    values, raw_rows = _measured(running_hub, session_id)
    last = int(values[-1])
    assert last >= stored, f"committed {stored} measurements, only {last} landed"
    assert values == [float(n) for n in range(1, last + 1)], "nothing lost in between"
    assert raw_rows == last, "nothing delivered twice"
    end = _session_end(running_hub, session_id)
    assert end["reason"] == RECOVERED_REASON
    assert end["event_count"] == last + 3  # session.started, run.started, n…, session.ended
    assert outbox_files(outbox_dir / "cell-k9") == []


def test_sigterm_of_a_recording_station_ends_it_cleanly_with_everything_delivered(
    running_hub: Hub, outbox_dir: Path
):
    with _recording_child("cell-term", running_hub.nats.url) as child:
        session_id, stored = _read_until_stored(child, 1000)
        child.send_signal(signal.SIGTERM)
        assert child.wait(60) == 128 + signal.SIGTERM
    running_hub.wait_ingested()

    values, raw_rows = _measured(running_hub, session_id)
    last = int(values[-1])
    assert last >= stored
    assert values == [float(n) for n in range(1, last + 1)]
    assert raw_rows == last
    end = _session_end(running_hub, session_id)
    assert "SystemExit" in str(end["reason"])
    assert end["event_count"] == last + 4  # … and run.ended, then session.ended
    assert outbox_files(outbox_dir / "cell-term") == [], "nothing left behind"


def test_sigterm_with_the_hub_unreachable_exits_promptly_and_keeps_everything(
    running_hub: Hub, outbox_dir: Path
):
    # The child waits up to 20 s for acks on a normal stop; on SIGTERM it must not.
    with _recording_child("cell-term-off", "nats://127.0.0.1:1") as child:
        session_id, stored = _read_until_stored(child, 500)
        child.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert child.wait(30) == 128 + signal.SIGTERM
        seconds = time.monotonic() - started
    assert seconds < 10, f"a SIGTERM'd station took {seconds:.1f} s to exit"
    assert outbox_files(outbox_dir / "cell-term-off"), "what the hub never acked is kept"

    with connect("cell-term-off", hub=running_hub.nats.url):  # delivers the kept frames
        pass
    running_hub.wait_ingested()
    values, raw_rows = _measured(running_hub, session_id)
    assert len(values) >= stored and raw_rows == len(values)
    assert values == [float(n) for n in range(1, len(values) + 1)]
    assert "SystemExit" in str(_session_end(running_hub, session_id)["reason"])

"""The station outbox against a real nats-server: stored as cut, delivered once, never dropped."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import filelock
import msgspec
import nats
import pytest
from click.testing import CliRunner

from benchtrail.agents import (
    OutboxConfig,
    OutboxFull,
    PublisherSettings,
    Unacknowledged,
    connect,
)
from benchtrail.agents.publishing import outbox_admin
from benchtrail.agents.publishing.frames import FrameBuffer
from benchtrail.agents.publishing.outbox import OpenSession, WriteBatch, outbox_root
from benchtrail.agents.publishing.outbox_admin import OutboxFileStatus, outbox_status
from benchtrail.agents.publishing.outboxes import RECOVERED_REASON, recovered_session_end
from benchtrail.agents.publishing.sqlite_outbox import SqliteOutbox, lock_path
from benchtrail.api.hub.natsserver import NatsServer
from benchtrail.cli import main
from benchtrail.schemas import EVENTS_STREAM, Log, SessionEnded, new_id, now_ns

UNREACHABLE = "nats://127.0.0.1:1"

DEAD_STATION = """
import os, sys
from benchtrail.agents import connect
station = connect(sys.argv[1], hub=sys.argv[2]).start()
run = station.run(dut_serial="SN-DEAD")
for i in range(int(sys.argv[3])):
    run.measure("v", float(i), unit="V")
assert station.publisher.wait_stored(30)
print(station.session_id, flush=True)
os._exit(0)  # dies without stop(): no session.ended, the file is left behind
"""


def _dead_station(station_id: str, measurements: int, hub: str = UNREACHABLE) -> str:
    """Run a station process that records and dies; returns its session id."""
    done = subprocess.run(
        [sys.executable, "-c", DEAD_STATION, station_id, hub, str(measurements)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def _raw_stream(url: str) -> dict[str, bytes]:
    """Every message of BT_EVENTS: ``Nats-Msg-Id`` → payload bytes."""

    async def read() -> dict[str, bytes]:
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            total = (await js.stream_info(EVENTS_STREAM)).state.messages
            messages = [await js.get_msg(EVENTS_STREAM, seq) for seq in range(1, total + 1)]
            return {(m.headers or {})["Nats-Msg-Id"]: m.data or b"" for m in messages}
        finally:
            await nc.close()

    return asyncio.run(read())


def _log_frames(session_id: str, count: int) -> FrameBuffer:
    buffer = FrameBuffer("cell-7", session_id)
    for seq in range(1, count + 1):
        event = Log(
            event_id=new_id(),
            session_id=session_id,
            station_id="cell-7",
            seq=seq,
            occurred_at=now_ns(),
            message=f"line {seq}",
        )
        buffer.add(event, 100)
    return buffer


def test_a_stored_frame_reads_back_byte_identical_and_survives_its_owner(tmp_path: Path):
    session_id = new_id()
    first = _log_frames(session_id, 3).cut()
    outbox = SqliteOutbox.create(tmp_path, "cell-7", "nats://hub:4222", rank=0)
    (rowid,) = outbox.write(WriteBatch(frames=[first]), now_ns())
    assert outbox.load(rowid) == first

    assert SqliteOutbox.take_over(outbox.path, "cell-7", rank=0) is None, "its owner holds it"
    outbox.close(delete=False)  # the owner is gone: the lock is free, the file stays
    orphan = SqliteOutbox.take_over(outbox.path, "cell-7", rank=0)
    assert orphan is not None
    assert [f.rowid for f in orphan.unacked()] == [rowid]
    assert orphan.load(rowid) == first
    assert orphan.open_sessions() == [OpenSession(session_id, 3, False)]

    end = recovered_session_end("cell-7", orphan.open_sessions()[0])
    orphan.write(WriteBatch(frames=[end], acked=[rowid]), now_ns())
    assert orphan.open_sessions() == [], "the session is closed once"
    assert end.first_seq == 4 and end.ends_session
    orphan.close(delete=True)
    assert list(tmp_path.iterdir()) == []


def test_what_jetstream_holds_is_byte_for_byte_what_the_outbox_stored(hub: str):
    station = connect("cell-7", hub=hub).start()
    with station.run(dut_serial="SN-1") as run:
        for i in range(2500):
            run.measure("v", float(i))
    station.flush()
    path = station.publisher.outbox_path
    assert path is not None and path.exists()
    with sqlite3.connect(path) as db:  # acknowledged frames are kept for keep_acked
        stored = dict(db.execute("SELECT msg_id, payload FROM frames"))
    assert _raw_stream(hub) == stored
    assert len(stored) >= 3  # 2503 events, 1000 a frame at most
    station.stop()
    assert not path.exists(), "a file with nothing left to deliver is deleted at stop"


def test_frames_beyond_the_memory_bound_are_read_back_from_the_file_in_order(
    nats_server: NatsServer, hub: str, read_stream
):
    nats_server.stop()
    settings = PublisherSettings(max_frame_events=50, max_memory_bytes=20_000)
    station = connect("cell-7", hub=hub, publisher_settings=settings).start()
    with station.run(dut_serial="SN-1") as run:
        for i in range(3000):
            run.measure("v", float(i))
    assert station.publisher.wait_stored(30)
    nats_server.restart()
    station.stop()
    assert [e.seq for e in read_stream(hub).events] == list(range(1, 3005))


def test_stop_with_the_hub_down_keeps_events_for_the_next_connect(
    nats_server: NatsServer, hub: str, read_stream, caplog: pytest.LogCaptureFixture
):
    station = connect("cell-7", hub=hub).start()
    station.flush()
    nats_server.stop()
    with station.run(dut_serial="SN-OFFLINE") as run:
        for i in range(1500):
            run.measure("v", float(i))
    with caplog.at_level(logging.WARNING, logger="benchtrail.agents.publishing"):
        station.stop(timeout=0.5)  # does not raise: nothing is lost
    path = station.publisher.outbox_path
    assert path is not None and path.exists()
    assert str(path) in caplog.text and "benchtrail outbox flush" in caplog.text
    assert "1503 event(s) not acknowledged" in caplog.text
    (status,) = outbox_status(station_id="cell-7")
    assert (status.owner, status.pending_events) == ("orphan", 1503)

    nats_server.restart()
    with connect("cell-7", hub=hub) as second:
        pass
    events = read_stream(hub).events
    first_session = [e.seq for e in events if e.session_id == station.session_id]
    assert first_session == list(range(1, 1505)), "every event once, in order"
    assert [e.session_id for e in events][-1] == second.session_id
    assert not path.exists()


def test_with_the_outbox_off_stop_raises_unacknowledged(
    nats_server: NatsServer, hub: str, outbox_dir: Path
):
    station = connect("cell-7", hub=hub, outbox=OutboxConfig(enabled=False)).start()
    station.flush()
    nats_server.stop()
    station.log("lost with the process")
    with pytest.raises(Unacknowledged, match=r"2 event\(s\) not acknowledged"):
        station.stop(timeout=0.3)
    assert station.publisher.outbox_path is None
    assert list(outbox_dir.rglob("*.sqlite3")) == []


def test_status_and_flush_deliver_what_a_dead_process_left(hub: str, read_stream):
    session_id = _dead_station("cell-9", 10)
    runner = CliRunner()
    shown = runner.invoke(main, ["outbox", "status", "--json"])
    assert shown.exit_code == 0, shown.output
    (status,) = msgspec.json.decode(shown.output, type=list[OutboxFileStatus])
    assert (status.station_id, status.owner, status.hub) == ("cell-9", "orphan", UNREACHABLE)
    assert (status.pending_frames, status.pending_events) == (1, 12)
    assert status.oldest_pending_age_s > 0 and "connect" in status.last_error.lower()

    failed = runner.invoke(main, ["outbox", "flush", "--timeout", "1"])
    assert failed.exit_code == 1
    assert "13 event(s) were not acknowledged" in failed.output

    flushed = runner.invoke(main, ["outbox", "flush", "--station", "cell-9", "--hub", hub])
    assert flushed.exit_code == 0, flushed.output
    assert "13 event(s) delivered" in flushed.output
    events = read_stream(hub).events
    assert [e.seq for e in events] == list(range(1, 14))
    assert {e.session_id for e in events} == {session_id}
    assert isinstance(events[-1], SessionEnded) and events[-1].reason == RECOVERED_REASON
    assert runner.invoke(main, ["outbox", "status"]).output.startswith("no outbox files")


class _ReleaseOnRetry(logging.Handler):
    """Releases a lock when the flush says it is trying again (the holder went away)."""

    def __init__(self, lock: filelock.BaseFileLock) -> None:
        super().__init__(logging.INFO)
        self.lock, self.retries = lock, 0

    def emit(self, record: logging.LogRecord) -> None:
        if "trying again" in record.getMessage():
            self.retries += 1
            self.lock.release()


def test_a_flush_tries_again_when_a_listed_orphan_is_locked_for_a_moment(hub: str, read_stream):
    """Listed as an orphan, then locked by another holder (a process just exiting) when the
    flush comes to take it over: the flush looks again and delivers everything."""
    _dead_station("cell-9", 10)
    (status,) = outbox_status(station_id="cell-9")
    holder = filelock.FileLock(lock_path(Path(status.path)))
    holder.acquire(timeout=0)
    retried = _ReleaseOnRetry(holder)
    logger = logging.getLogger(outbox_admin.__name__)
    logger.addHandler(retried)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        result = outbox_admin._flush_station(
            "cell-9", hub, outbox_root(), timeout=30, progress=None, listed=[status]
        )
    finally:
        logger.removeHandler(retried)
        logger.setLevel(level)
        holder.release()
    assert retried.retries == 1
    assert (result.delivered_events, result.remaining_events) == (13, 0)
    assert [e.seq for e in read_stream(hub).events] == list(range(1, 14))
    assert outbox_status(station_id="cell-9") == []


def test_a_flush_that_cannot_take_a_listed_orphan_over_says_so(hub: str, monkeypatch):
    """An orphan listed with pending events but held by another process throughout: the
    flush does not claim "0 delivered" as a success; the events stay in the file."""
    monkeypatch.setattr(outbox_admin, "TAKE_OVER_TRIES", 2)
    _dead_station("cell-9", 10)
    (status,) = outbox_status(station_id="cell-9")
    holder = filelock.FileLock(lock_path(Path(status.path)))
    with holder.acquire(timeout=0):
        result = outbox_admin._flush_station(
            "cell-9", hub, outbox_root(), timeout=30, progress=None, listed=[status]
        )
    assert (result.delivered_events, result.remaining_events) == (0, 12)
    assert "could not be taken over" in result.last_error
    assert "12 NOT acknowledged, kept in the outbox" in outbox_admin.format_flush([result])
    (kept,) = outbox_status(station_id="cell-9")
    assert (kept.path, kept.pending_events, kept.owner) == (status.path, 12, "orphan")


def test_status_shows_a_running_station_as_alive(hub: str):
    with connect("cell-7", hub=hub) as station:
        assert station.publisher.wait_stored(10)
        (status,) = outbox_status(station_id="cell-7")
        assert status.owner == "alive"
        assert status.path == str(station.publisher.outbox_path)


def test_a_full_outbox_blocks_recording_with_a_warning_until_the_hub_returns(
    nats_server: NatsServer, hub: str, read_stream
):
    nats_server.stop()
    outbox = OutboxConfig(max_bytes=20_000)
    settings = PublisherSettings(max_frame_events=100)
    station = connect("cell-7", hub=hub, outbox=outbox, publisher_settings=settings).start()
    warned = threading.Event()

    class Warned(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "outbox full" in record.getMessage():
                warned.set()

    handler = Warned(logging.WARNING)
    logging.getLogger("benchtrail.agents.publishing").addHandler(handler)
    try:
        recorder = threading.Thread(target=lambda: [station.log(f"{i}") for i in range(3000)])
        recorder.start()
        assert warned.wait(30), "no warning while the outbox is full"
        assert recorder.is_alive(), "recording is held while the outbox is full"
        assert station.unacknowledged < 3001
        nats_server.restart()
        recorder.join(60)
        assert not recorder.is_alive()
    finally:
        logging.getLogger("benchtrail.agents.publishing").removeHandler(handler)
    station.stop()
    assert [e.seq for e in read_stream(hub).events] == list(range(1, 3003)), "none dropped"


def test_a_full_outbox_refuses_a_new_session_when_so_configured(hub: str, read_stream):
    session_id = _dead_station("cell-9", 2000)
    refuse = OutboxConfig(max_bytes=10_000, on_full="refuse")
    with pytest.raises(OutboxFull, match=r"limit 10,000.*benchtrail outbox flush") as caught:
        connect("cell-9", hub=hub, outbox=refuse).start()
    assert caught.value.pending_bytes >= 10_000 and "cell-9" in caught.value.path
    (status,) = outbox_status(station_id="cell-9")
    assert status.pending_events == 2003, "nothing dropped (its session.ended added)"

    with connect("cell-9", hub=hub):
        pass
    delivered = [e for e in read_stream(hub).events if e.session_id == session_id]
    assert [e.seq for e in delivered] == list(range(1, 2004))

"""``run.attach``: bytes reach the hub's object store before the event naming them, once."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import nats
import pytest

from benchtrail.agents import (
    AttachmentTooLarge,
    InvalidAttachment,
    OutboxConfig,
    Unacknowledged,
    connect,
)
from benchtrail.api.hub.attachment_store import ensure_attachments_bucket
from benchtrail.api.hub.natsserver import NatsServer
from benchtrail.projector.streams import ensure_streams
from benchtrail.schemas import AttachmentAdded

from .conftest import read_bucket, read_events, sha

CHUNKS_PLUS_META = 3 + 1
"""A 300 kB object is three 128 KiB chunks and one meta message."""


def attachments(url: str) -> list[AttachmentAdded]:
    return [e for e in read_events(url) if isinstance(e, AttachmentAdded)]


def test_an_attachment_made_while_the_hub_is_down_arrives_once_after_it_returns(
    nats_server: NatsServer, hub: str
):
    scope = os.urandom(300_000)
    station = connect("cell-7", hub=hub).start()
    station.flush()
    nats_server.stop()
    with station.run(dut_serial="SN-1") as run:
        recorded = run.attach("scope.bin", scope)
        run.attach("again.bin", scope)  # the same bytes under another name: stored once
    spooled = list(station.publisher.attachments.directory.glob("*.blob"))  # type: ignore[union-attr]
    assert [p.name for p in spooled] == [f"{sha(scope)}.blob"], "the outbox holds the bytes"

    nats_server.restart()
    station.flush(30)
    station.stop()

    bucket = read_bucket(hub)
    assert bucket.objects == {sha(scope): scope}
    assert bucket.messages == CHUNKS_PLUS_META, "the bytes were sent exactly once"
    events = attachments(hub)
    assert [(e.name, e.size_bytes, e.sha256) for e in events] == [
        ("scope.bin", 300_000, sha(scope)),
        ("again.bin", 300_000, sha(scope)),
    ]
    assert events[0] == recorded and recorded.mimetype == "application/octet-stream"
    assert list(station.publisher.attachments.directory.glob("*.blob")) == []  # type: ignore[union-attr]


def test_a_file_is_copied_at_the_call_and_its_type_guessed(hub: str, tmp_path: Path):
    image = tmp_path / "eye.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(1000))
    original = image.read_bytes()
    with connect("cell-7", hub=hub) as station, station.run(dut_serial="SN-1") as run:
        event = run.attach("eye.png", image)
        image.write_bytes(b"changed after the call")
    assert (event.mimetype, event.sha256, event.size_bytes) == ("image/png", sha(original), 1008)
    assert read_bucket(hub).objects == {sha(original): original}


def test_an_attachment_already_on_the_hub_is_not_sent_again(hub: str):
    data = b"calibration table\n" * 100
    for _ in range(2):
        with connect("cell-7", hub=hub) as station, station.run(dut_serial="SN-1") as run:
            run.attach("cal.txt", data)
        assert station.publisher.stats.attachments_stored == (1 if _ == 0 else 0)
    assert read_bucket(hub).messages == 2  # one chunk and one meta
    assert [e.mimetype for e in attachments(hub)] == ["text/plain"] * 2


def test_without_an_outbox_attachments_wait_in_memory(hub: str):
    outbox = OutboxConfig(enabled=False)
    with connect("cell-7", hub=hub, outbox=outbox) as station, station.run() as run:
        run.attach("log.txt", b"hello")
    assert station.publisher.attachments.directory is None
    assert read_bucket(hub).objects == {sha(b"hello"): b"hello"}


def test_too_large_an_attachment_is_refused_at_the_call_naming_size_and_limit(
    hub: str, tmp_path: Path
):
    outbox = OutboxConfig(max_attachment_bytes=1000)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 1001)
    with connect("cell-7", hub=hub, outbox=outbox) as station, station.run() as run:
        with pytest.raises(AttachmentTooLarge, match="1001 bytes; at most 1000 bytes") as e:
            run.attach("big.bin", big)
        assert "outbox.max_attachment_bytes" in str(e.value)
        with pytest.raises(AttachmentTooLarge, match="2000 bytes"):
            run.attach("big.bin", b"y" * 2000)
        run.attach("small.bin", b"z" * 1000)
    assert [e.name for e in attachments(hub)] == ["small.bin"]
    assert list(read_bucket(hub).objects) == [sha(b"z" * 1000)]


@pytest.mark.parametrize(
    ("name", "data", "mimetype", "message"),
    [
        ("../etc/passwd", b"x", None, "no '/'"),
        ("a\\b", b"x", None, "no '/', '\\\\'"),
        ("..", b"x", None, "not '.' or '..'"),
        ("", b"x", None, "non-empty"),
        ("n" * 256, b"x", None, "256 characters; at most 255"),
        ("ok.bin", b"x", "not a type", "'type/subtype'"),
        ("ok.bin", "/no/such/file", None, "is not a readable file"),
        ("ok.bin", 42, None, "bytes or a path, got int"),
        ("ok.bin", b"x", "text/plain\r\nX-Evil: 1", "'type/subtype'"),
    ],
)
def test_bad_names_types_and_sources_are_refused_at_the_call(
    hub: str, name: str, data: object, mimetype: str | None, message: str
):
    with connect("cell-7", hub=hub) as station, station.run() as run:
        with pytest.raises(InvalidAttachment, match=message.replace("(", r"\(")) as e:
            run.attach(name, data, mimetype)  # type: ignore[arg-type]
        assert e.value.problem
    assert attachments(hub) == []


def test_the_event_waits_for_its_bytes_while_the_hub_cannot_store_them(hub_url: str):
    # a hub with the streams but no attachment store yet: the bytes cannot be stored
    asyncio.run(_streams_only(hub_url))
    with connect("cell-7", hub=hub_url) as station, station.run() as run:
        run.attach("trace.bin", b"\x01" * 1000)
        with pytest.raises(Unacknowledged):
            station.flush(1.0)
        assert attachments(hub_url) == [], "no event names bytes the hub does not have"
        assert "storing attachments failed" in station.publisher.stats.last_error
        asyncio.run(_bucket_only(hub_url))
        station.flush(30)
        assert [e.name for e in attachments(hub_url)] == ["trace.bin"]
    assert read_bucket(hub_url).objects == {sha(b"\x01" * 1000): b"\x01" * 1000}


async def _streams_only(url: str) -> None:
    nc = await nats.connect(url)
    await ensure_streams(nc.jetstream())
    await nc.close()


async def _bucket_only(url: str) -> None:
    nc = await nats.connect(url)
    await ensure_attachments_bucket(nc.jetstream())
    await nc.close()


def test_a_spool_file_altered_before_upload_is_given_up_and_never_holds_events_back(
    nats_server: NatsServer, hub: str, caplog: pytest.LogCaptureFixture
):
    station = connect("cell-7", hub=hub).start()
    station.flush()
    nats_server.stop()
    with station.run() as run:
        run.attach("a.bin", b"original bytes")
        station.log("after the attachment")
    spool = station.publisher.attachments.directory
    assert spool is not None
    (spool / f"{sha(b'original bytes')}.blob").write_bytes(b"tampered")
    nats_server.restart()
    with caplog.at_level(logging.ERROR, logger="benchtrail.agents.publishing"):
        station.flush(30)
    station.stop()
    assert "cannot be stored and is given up" in caplog.text
    assert read_bucket(hub).objects == {}
    assert [e.name for e in attachments(hub)] == ["a.bin"]  # the events were not held back

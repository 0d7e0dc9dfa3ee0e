"""The hub's own identities: ``live`` reads the stream and nothing more; the projector's
station check stops a station that writes events claiming another station."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import nats
import nats.errors
import pytest

from benchtrail.agents import connect
from benchtrail.agents.publishing.frames import FrameBuffer, SessionSequence
from benchtrail.api import EventStore
from benchtrail.api.errors import NotFound
from benchtrail.api.hub.embedded import Hub
from benchtrail.projector import HubUnavailable, open_warehouse
from benchtrail.projector.replay import replay
from benchtrail.schemas import DEAD_REASON_HEADER, DEAD_STREAM, EVENTS_STREAM, Log, new_id


def test_the_live_feed_reads_through_the_read_only_identity(
    auth_hub: Hub, add_station: Callable[[str], Path], viewer_token: str
):
    credentials = str(add_station("cell-7"))
    url = f"{auth_hub.api_url}/api/live"
    with (
        httpx.Client(timeout=20, headers={"Authorization": f"Bearer {viewer_token}"}) as client,
        client.stream("GET", url, params={"station_id": "cell-7"}) as feed,
    ):
        with connect("cell-7", hub=auth_hub.nats.url, credentials=credentials) as station:
            station.log("seen live")
        kinds = []
        for line in feed.iter_lines():
            if line.startswith("event: "):
                kinds.append(line.removeprefix("event: "))
            if kinds[-1:] == ["session.ended"]:
                break
    assert kinds == ["session.started", "log", "session.ended"]


def test_the_live_identity_cannot_publish_or_delete(auth_hub: Hub):
    async def attempt() -> list[str]:
        errors: list[str] = []

        async def on_error(e: Exception) -> None:
            errors.append(str(e))

        options = auth_hub.access.live.connect_options()
        nc = await nats.connect(auth_hub.nats.url, error_cb=on_error, **options)
        js = nc.jetstream(timeout=1.0)
        assert (await js.stream_info(EVENTS_STREAM)).config.name == EVENTS_STREAM
        with pytest.raises(nats.errors.TimeoutError):
            await js.publish("bt.evt.cell-7.s-1", b"\x90")
        with pytest.raises(nats.errors.TimeoutError):
            await js.purge_stream(EVENTS_STREAM)
        await nc.close()
        return errors

    errors = asyncio.run(attempt())
    assert any("bt.evt.cell-7.s-1" in e for e in errors), errors
    assert any("$js.api.stream.purge.bt_events" in e.lower() for e in errors), errors


def test_a_frame_claiming_another_station_is_dead_lettered_not_stored(
    auth_hub: Hub, add_station: Callable[[str], Path], viewer_token: str
):
    credentials = add_station("cell-7")
    session_id = new_id()
    forged = SessionSequence("cell-8", session_id)  # events that say "cell-8" …
    buffer = FrameBuffer("cell-7", session_id)  # … under cell-7's own subject
    buffer.add(forged.stamp(Log, {"message": "I am cell-8"}), 256)
    buffer.add(forged.stamp(Log, {"message": "test passed"}), 256)
    frame = buffer.cut()

    async def publish() -> None:
        options = {"nkeys_seed": str(credentials), "inbox_prefix": "_INBOX_cell-7"}
        nc = await nats.connect(auth_hub.nats.url, **options)  # type: ignore[arg-type]
        ack = await nc.jetstream().publish(frame.subject, frame.payload, headers=frame.headers)
        assert ack.stream == EVENTS_STREAM, "cell-7 may publish under its own subject"
        await nc.close()

    asyncio.run(publish())
    auth_hub.wait_ingested()

    async def dead_letters() -> list[str]:
        nc = await nats.connect(auth_hub.nats.url, **auth_hub.access.hub.connect_options())
        js = nc.jetstream()
        info = await js.stream_info(DEAD_STREAM)
        first, last = info.state.first_seq, info.state.last_seq
        reasons = [
            (await js.get_msg(DEAD_STREAM, seq)).headers[DEAD_REASON_HEADER]  # type: ignore[index]
            for seq in range(first, last + 1)
        ]
        await nc.close()
        return reasons

    reasons = asyncio.run(dead_letters())
    assert len(reasons) == 2, "each forged event is a dead letter"
    assert all("cell-8" in reason and "cell-7" in reason for reason in reasons), reasons
    with EventStore(auth_hub.api_url, token=viewer_token) as store, pytest.raises(NotFound):
        store.events(session_id)  # nothing of the forged session is stored, as cell-8 or else


def test_replay_needs_the_hub_identity(
    auth_hub: Hub, add_station: Callable[[str], Path], chdb_path: Path
):
    credentials = str(add_station("cell-7"))
    with connect("cell-7", hub=auth_hub.nats.url, credentials=credentials) as station:
        station.log("replayed")
    warehouse = open_warehouse(chdb_path, database=f"bt_replay_{new_id()[-12:]}")
    try:
        with pytest.raises(HubUnavailable, match="uthorization"):
            replay(auth_hub.nats.url, warehouse)
        result = replay(auth_hub.nats.url, warehouse, access=auth_hub.access.hub)
        assert result.events == 3  # session.started, log, session.ended
    finally:
        warehouse.command(f"DROP DATABASE IF EXISTS {warehouse.database}")

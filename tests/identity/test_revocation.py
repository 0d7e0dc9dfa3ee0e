"""Revoking a station cuts it off at once, without restarting the hub."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from pathlib import Path

import nats
import pytest

from benchtrail.agents import connect
from benchtrail.agents.errors import CredentialsRefused
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.hub.identity import StationRegistry
from benchtrail.schemas import NatsAccess


def test_a_revoked_station_is_cut_off_and_cannot_come_back(
    auth_hub: Hub, add_station: Callable[[str], Path]
):
    credentials = str(add_station("cell-7"))
    pid = auth_hub.nats.pid

    async def connected_then_revoked() -> list[str]:
        errors: list[str] = []
        closed = asyncio.Event()

        async def on_error(e: Exception) -> None:
            errors.append(repr(e))

        async def on_disconnected() -> None:
            closed.set()

        access = NatsAccess.of("cell-7", credentials)
        nc = await nats.connect(
            auth_hub.nats.url,
            error_cb=on_error,
            disconnected_cb=on_disconnected,
            max_reconnect_attempts=1,
            **access.connect_options(),
        )
        await nc.jetstream().publish("bt.evt.cell-7.s-1", b"\x90")  # allowed while registered
        StationRegistry(auth_hub.data_dir).revoke("cell-7")
        auth_hub.nats.reload()
        await asyncio.wait_for(closed.wait(), 10)
        await nc.close()
        return errors

    errors = asyncio.run(connected_then_revoked())
    assert errors, "the server closed the revoked station's live connection"
    assert auth_hub.nats.pid == pid and auth_hub.nats.running(), "reloaded, not restarted"

    with (
        pytest.raises(CredentialsRefused, match=r"refused station 'cell-7' with the credentials"),
        connect("cell-7", hub=auth_hub.nats.url, credentials=credentials) as station,
    ):
        station.log("kept in the outbox")
    assert station.publisher.unacknowledged >= 2, "session.started and .ended stay in the outbox"


def test_a_recording_station_revoked_mid_session_gets_a_clear_error_and_keeps_its_events(
    auth_hub: Hub, add_station: Callable[[str], Path]
):
    credentials = str(add_station("cell-7"))
    station = connect("cell-7", hub=auth_hub.nats.url, credentials=credentials).start()
    station.log("acknowledged before the revocation")
    station.flush(10)
    StationRegistry(auth_hub.data_dir).revoke("cell-7")
    auth_hub.nats.reload()
    with pytest.raises(CredentialsRefused, match=r"station 'cell-7'.*cell-7\.nk"):
        station.log("after the revocation")
        station.flush(10)
    with pytest.raises(CredentialsRefused):
        station.stop(timeout=10)
    assert station.publisher.unacknowledged >= 2, "what was not acknowledged stays in the outbox"
    gc.collect()

"""Streams and the lock bucket deleted under a running hub: health says so, the hub recreates them.

Deleted with the hub's own identity (what an operator's slip or a script would do);
``/api/health`` turns ``degraded`` naming what is missing, ``/api/locks`` answers 503
(never 500) while the bucket is away, the hub recreates all three, health is ``ok``
again, and events published afterwards land in the warehouse.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import nats

from benchtrail.agents import connect
from benchtrail.api.hub.access import token_store
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.hub.identity import StationRegistry, credentials_path
from benchtrail.schemas import ATTACHMENTS_BUCKET, DEAD_STREAM, EVENTS_STREAM, LOCKS_BUCKET

from .conftest import wait_until

StartHub = Callable[..., AbstractContextManager[Hub]]


async def _delete_everything(hub: Hub) -> None:
    nc = await nats.connect(hub.local_nats_url, **hub.access.hub.connect_options())
    try:
        js = nc.jetstream()
        await js.delete_stream(EVENTS_STREAM)
        await js.delete_stream(DEAD_STREAM)
        await js.delete_key_value(LOCKS_BUCKET)
        await js.delete_object_store(ATTACHMENTS_BUCKET)
    finally:
        await nc.close()


def _health(client: httpx.Client, hub: Hub, token: str | None) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.get(f"{hub.api_url}/api/health", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, dict)
    return body


def _station(hub: Hub) -> str:
    """Credentials of a station ``cell-1`` registered on the hub (``benchtrail station add``)."""
    path = (
        StationRegistry(hub.data_dir).add("cell-1").write(credentials_path(hub.data_dir, "cell-1"))
    )
    hub.nats.reload()
    return str(path)


def test_deleted_streams_and_bucket_degrade_health_then_come_back(start_hub: StartHub) -> None:
    with start_hub(auth=True, upkeep_interval_s=1.0) as hub, httpx.Client(timeout=10) as client:
        admin = token_store(hub.data_dir).create("ops", "admin").token
        auth = {"Authorization": f"Bearer {admin}"}
        assert _health(client, hub, admin)["status"] == "ok"
        asyncio.run(_delete_everything(hub))

        lock_codes: set[int] = set()
        seen: list[dict[str, object]] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            body = _health(client, hub, admin)
            seen.append(body)
            lock_codes.add(client.get(f"{hub.api_url}/api/locks", headers=auth).status_code)
            if body["status"] == "ok" and any(s["status"] == "degraded" for s in seen):
                break
            time.sleep(0.1)
        degraded = next(s for s in seen if s["status"] == "degraded")
        reasons = " ".join(str(r) for r in degraded["reasons"])  # type: ignore[union-attr]
        assert EVENTS_STREAM in reasons and DEAD_STREAM in reasons and LOCKS_BUCKET in reasons
        assert ATTACHMENTS_BUCKET in reasons
        assert seen[-1]["status"] == "ok", seen[-1]
        assert lock_codes <= {200, 503}, lock_codes
        assert _health(client, hub, None) == {"status": "ok"}  # anonymous: the status only
        recreated = " ".join(str(r) for r in seen[-1]["hub"]["recreated"])  # type: ignore[index]
        assert EVENTS_STREAM in recreated and LOCKS_BUCKET in recreated
        assert ATTACHMENTS_BUCKET in recreated

        assert client.get(f"{hub.api_url}/api/locks", headers=auth).status_code == 200
        with connect("cell-1", hub=hub.nats.url, credentials=_station(hub)) as station:
            station.log("after the recreation")
            with station.run() as run:
                run.attach("after.txt", b"stored again")
        session_url = f"{hub.api_url}/api/sessions/{station.session_id}"
        wait_until(
            lambda: client.get(session_url, headers=auth).status_code == 200,
            20,
            "the session recorded after the recreation is in the warehouse",
        )
        events = client.get(f"{session_url}/events", headers=auth).json()
        assert "after the recreation" in str(events)
        hub.wait_ingested()
        attachment = f"{hub.api_url}/api/runs/{run.run_id}/attachments/after.txt"
        assert client.get(attachment, headers=auth).content == b"stored again"


def test_health_is_degraded_while_ingestion_lags_past_its_bound(start_hub: StartHub) -> None:
    with start_hub(upkeep_interval_s=0.5, max_ingest_lag_s=1.0) as hub, httpx.Client() as client:
        assert hub.projector is not None and hub._loop is not None
        asyncio.run_coroutine_threadsafe(hub.projector.stop(), hub._loop).result(30)
        with connect("cell-1", hub=hub.nats.url) as station:
            station.log("nobody writes this down")
        wait_until(
            lambda: _health(client, hub, None)["status"] == "degraded", 10, "health sees the lag"
        )
        reasons = " ".join(_health(client, hub, None)["reasons"])  # type: ignore[arg-type]
        assert "has waited" in reasons and "for the warehouse" in reasons


async def _delete_events_stream(hub: Hub) -> None:
    nc = await nats.connect(hub.local_nats_url, **hub.access.hub.connect_options())
    try:
        await nc.jetstream().delete_stream(EVENTS_STREAM)
    finally:
        await nc.close()


def test_after_the_events_stream_is_recreated_ingestion_is_counted_from_its_start(
    start_hub: StartHub,
) -> None:
    with start_hub(upkeep_interval_s=0.5) as hub, httpx.Client(timeout=10) as client:
        for number in range(8):
            with connect("cell-1", hub=hub.nats.url) as station:
                station.log(f"before the deletion, session {number}")
        hub.wait_ingested(60)
        ingest_url = f"{hub.api_url}/api/health/ingest"
        before = client.get(ingest_url).json()
        assert before["ingested_through"] == before["stream"]["last_seq"] >= 8

        asyncio.run(_delete_events_stream(hub))
        wait_until(
            lambda: EVENTS_STREAM in str(_health(client, hub, None)["hub"]["recreated"]),  # type: ignore[index]
            20,
            "the hub recreates the events stream",
        )
        with connect("cell-1", hub=hub.nats.url) as station:
            station.log("after the recreation")
        session_url = f"{hub.api_url}/api/sessions/{station.session_id}"
        wait_until(
            lambda: client.get(session_url).status_code == 200, 20, "the new session is stored"
        )

        def caught_up() -> bool:
            body = client.get(ingest_url).json()
            stream = body["stream"]
            return stream is not None and body["ingested_through"] == stream["last_seq"]

        wait_until(caught_up, 20, "ingested_through counts the new stream's sequence")
        after = client.get(ingest_url).json()
        assert after["stream"]["last_seq"] < before["stream"]["last_seq"], "a new stream"
        assert after["status"] == "ok", after["problems"]

"""The NATS cluster configurations of ``deploy/nats/``: valid, and secure when running.

Every node's file passes ``nats-server -t``; three nodes started from them form one
cluster over authenticated TLS routes, where a station may publish its own events and
take its own locks only, and nobody gets in without TLS and a known nkey.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import nats
import nats.errors
import nats.js.errors
import pytest
from nats.aio.client import Client
from nats.js.api import StreamConfig

from benchtrail.agents.locks import Holder, Locks
from benchtrail.api.hub.natsserver import NatsServer, nats_server_binary

from .rendering import DEPLOY, NODES, STATION, Deployment, Identity, render_deployment

MINE = msgspec.json.encode(Holder(station_id=STATION, resource="psu"))
"""The value of the station's own lock key: its holder."""


@pytest.mark.parametrize("name", NODES)
def test_each_node_configuration_is_valid(deployment: Deployment, name: str) -> None:
    node = deployment.nodes[name]
    checked = subprocess.run(
        [nats_server_binary(), "-t", "-c", str(node.config)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert "is valid" in checked.stderr + checked.stdout


@pytest.mark.parametrize("name", NODES)
def test_monitoring_is_on_loopback_and_clients_need_tls_and_an_identity(name: str) -> None:
    text = (DEPLOY / f"{name}.conf").read_text()
    assert "http: 127.0.0.1:8222" in text
    assert 'include "auth.conf"' in text and 'include "routes.conf"' in text
    assert text.count("cert_file:") == 2, "TLS for clients and for routes"
    assert "verify: true" in text


# --- the cluster, running ------------------------------------------------------------


@contextmanager
def started(deployment: Deployment) -> Iterator[Deployment]:
    """Three nodes started from the rendered configurations.

    :class:`NatsServer` writes the file into the node's directory (where the includes
    are) and names the store (``-sd``) and client address itself, so the file's
    ``store_dir`` line is left out.
    """
    servers = [
        NatsServer(
            node.directory,
            port=node.client_port,
            config=re.sub(r"(?m)^\s*store_dir:.*$", "", node.config.read_text()),
        )
        for node in deployment.nodes.values()
    ]
    try:
        for server in servers:
            server.start(timeout=30)
        yield deployment
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def cluster(deployment: Deployment) -> Iterator[Deployment]:
    """The three nodes of ``deployment``, running."""
    with started(deployment) as running:
        yield running


class Session:
    """A client connection and the errors the server sent it asynchronously."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.nc = Client()

    async def error(self, error: Exception) -> None:
        self.errors.append(str(error))


@asynccontextmanager
async def connected(
    deployment: Deployment, identity: Identity, inbox: str
) -> AsyncIterator[Session]:
    """A connection as ``identity`` over TLS trusting the lab CA."""
    session = Session()
    await session.nc.connect(
        servers=deployment.urls,
        tls=ssl.create_default_context(cafile=str(deployment.certificates.ca_cert)),
        nkeys_seed_str=identity.seed,
        inbox_prefix=inbox,
        error_cb=session.error,
        connect_timeout=5,
        max_reconnect_attempts=0,
    )
    try:
        yield session
    finally:
        await session.nc.close()


async def _wait_for_jetstream(hub: Session) -> None:
    """Until the cluster has elected a JetStream meta leader (no event announces it)."""
    js = hub.nc.jetstream()
    for _ in range(300):
        try:
            await js.account_info()
            return
        except (nats.errors.Error, TimeoutError):
            await asyncio.sleep(0.1)
    raise AssertionError("the cluster's JetStream did not answer")


@dataclass
class Outcome:
    """What a hub service and a station could and could not do on the running cluster."""

    replicas: int = 0
    own_seq: int = 0
    own_lock_revision: int = 0
    refused: dict[str, bool] = field(default_factory=dict)
    stored: int = 0
    station_errors: list[str] = field(default_factory=list)
    live_read: bytes = b""
    live_publish_refused: bool = False


async def _create_streams(deployment: Deployment) -> None:
    """As the hub services: ``BT_EVENTS`` and ``bt_locks`` on all three nodes."""
    async with connected(deployment, deployment.hub, "_INBOX_hub") as hub:
        await _wait_for_jetstream(hub)
        js = hub.nc.jetstream()
        await js.add_stream(StreamConfig(name="BT_EVENTS", subjects=["bt.evt.>"], num_replicas=3))
        await js.create_key_value(bucket="bt_locks", replicas=3, ttl=30)


async def _exercise(deployment: Deployment) -> Outcome:
    """The hub creates the stream and bucket with 3 replicas; a station does its job and more."""
    outcome = Outcome()
    await _create_streams(deployment)
    async with connected(deployment, deployment.hub, "_INBOX_hub") as hub:
        js = hub.nc.jetstream()
        info = await js.stream_info("BT_EVENTS")
        assert info.cluster is not None
        outcome.replicas = 1 + len(info.cluster.replicas or [])
        async with connected(deployment, deployment.station, f"_INBOX_{STATION}") as station:
            sjs = station.nc.jetstream()
            outcome.own_seq = (await sjs.publish(f"bt.evt.{STATION}.s1", b"own", timeout=5)).seq
            locks = await sjs.key_value("bt_locks")
            outcome.own_lock_revision = await locks.create(f"{STATION}.psu", b"mine")
            outcome.refused = {
                "forged": await _refused(sjs.publish("bt.evt.cell-8.s1", b"forged", timeout=1)),
                "purge": await _refused(sjs.purge_stream("BT_EVENTS")),
                "delete": await _refused(sjs.delete_stream("BT_EVENTS")),
                "other lock": await _refused(locks.create("cell-8.psu", b"taken")),
                "listing locks": await _refused(locks.keys()),
            }
            outcome.station_errors = station.errors
        outcome.stored = (await js.stream_info("BT_EVENTS")).state.messages
    async with connected(deployment, deployment.live, "_INBOX_live") as live:
        ljs = live.nc.jetstream()
        feed = await ljs.subscribe("bt.evt.>", stream="BT_EVENTS", ordered_consumer=True)
        outcome.live_read = (await feed.next_msg(timeout=5)).data
        await feed.unsubscribe()
        outcome.live_publish_refused = await _refused(
            ljs.publish(f"bt.evt.{STATION}.s2", b"from the live feed", timeout=1)
        )
    return outcome


async def _refused(call: object) -> bool:
    """Whether an awaitable fails as a permission-refused call does (no answer comes)."""
    assert asyncio.iscoroutine(call)
    try:
        await asyncio.wait_for(call, timeout=2)
    except (TimeoutError, nats.errors.TimeoutError, nats.js.errors.Error):
        return True
    return False


def test_three_nodes_form_a_cluster_where_a_station_may_do_only_its_job(
    cluster: Deployment,
) -> None:
    outcome = asyncio.run(_exercise(cluster))

    assert outcome.replicas == 3, "the stream is not on three nodes: the routes did not form"
    assert outcome.own_seq == 1 and outcome.own_lock_revision == 1
    assert outcome.refused == dict.fromkeys(
        ("forged", "purge", "delete", "other lock", "listing locks"), True
    )
    assert outcome.stored == 1, "something besides the station's own event was stored"
    assert outcome.live_read == b"own" and outcome.live_publish_refused
    errors = " ".join(outcome.station_errors).lower()
    for subject in (
        "bt.evt.cell-8.s1",
        "$js.api.stream.purge.bt_events",
        "$js.api.stream.delete.bt_events",
        "$kv.bt_locks.cell-8.psu",
    ):
        assert f'permissions violation for publish to "{subject}"' in errors


async def _connect_as_stranger(deployment: Deployment, *, nkey: bool) -> None:
    nc = await nats.connect(
        servers=deployment.urls,
        tls=ssl.create_default_context(cafile=str(deployment.certificates.ca_cert)),
        nkeys_seed_str=Identity.new().seed if nkey else None,
        connect_timeout=3,
        allow_reconnect=False,
        max_reconnect_attempts=0,
    )
    await nc.close()


@pytest.mark.parametrize("nkey", [False, True], ids=["no identity", "unknown nkey"])
def test_a_client_without_a_known_identity_is_refused(cluster: Deployment, nkey: bool) -> None:
    with pytest.raises((nats.errors.Error, OSError), match=r"(?i)authorization"):
        asyncio.run(_connect_as_stranger(cluster, nkey=nkey))


async def _wait_and_list(deployment: Deployment) -> tuple[bytes, list[str]]:
    """As the station: take a lock, watch it as ``wait=`` does, and list the locks as
    ``Locks.held()`` does (``kv.keys()`` can end its replay early: nats-io/nats.py#995)."""
    await _create_streams(deployment)
    async with connected(deployment, deployment.station, f"_INBOX_{STATION}") as station:
        js = station.nc.jetstream()
        locks = await js.key_value("bt_locks")
        await locks.create(f"{STATION}.psu", MINE)
        watcher = await locks.watch(f"{STATION}.psu")
        entry = await watcher.updates(timeout=5)
        await watcher.stop()
        assert entry is not None and entry.value is not None
        held = await (await Locks(js).open()).held()
        return entry.value, [lock.key for lock in held]


def test_the_optional_station_permissions_let_it_wait_for_and_list_locks(
    tmp_path: Path,
) -> None:
    with started(render_deployment(tmp_path, lock_waiting=True)) as deployment:
        value, keys = asyncio.run(_wait_and_list(deployment))

    assert value == MINE and keys == [f"{STATION}.psu"]

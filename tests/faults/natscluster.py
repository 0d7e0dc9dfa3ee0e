"""A JetStream cluster of local nats-server processes, shaped like ``deploy/nats/``.

Each node is a :class:`~benchtrail.api.hub.natsserver.NatsServer` with a server
name, a store directory of its own and a ``cluster`` block routing to every
other node, all on loopback ports chosen free at construction and kept across
restarts (a restarted node comes back where its peers and clients look for
it). Used by the fault tests and benchmarks to kill one node and watch the
others carry on.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import nats
import nats.errors

from benchtrail.api.errors import HubStartError, PortInUse
from benchtrail.api.hub.natsserver import NatsServer

T = TypeVar("T")

CLUSTER_NAME = "benchtrail"
"""The ``cluster.name`` of ``deploy/nats/`` and of :class:`NatsCluster`."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS's choice)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def node_config(name: str, cluster_port: int, peer_ports: list[int], host: str) -> str:
    """The configuration-file text of one node: its name and routes to its peers."""
    routes = ", ".join(f"nats-route://{host}:{port}" for port in peer_ports)
    return (
        f"server_name: {name}\n"
        "cluster {\n"
        f"  name: {CLUSTER_NAME}\n"
        f"  listen: {host}:{cluster_port}\n"
        f"  routes: [{routes}]\n"
        "}\n"
    )


class NatsCluster:
    """``size`` nats-server processes forming one JetStream cluster on loopback.

    Args:
        root: directory holding one store directory per node (``n1``, ``n2``, …).
        size: number of nodes (3 tolerates the loss of one for R3 streams).
        sync_interval: JetStream fsync interval of every node; nats-server's default if ``None``.
        host: listen address of every node.
    """

    def __init__(
        self,
        root: str | Path,
        size: int = 3,
        sync_interval: str | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.root = Path(root)
        self.names = [f"n{index}" for index in range(1, size + 1)]
        cluster_ports = [free_port(host) for _ in self.names]
        self.nodes: dict[str, NatsServer] = {}
        for index, name in enumerate(self.names):
            peers = cluster_ports[:index] + cluster_ports[index + 1 :]
            self.nodes[name] = NatsServer(
                self.root / name,
                port=free_port(host),
                host=host,
                sync_interval=sync_interval,
                config=node_config(name, cluster_ports[index], peers, host),
            )

    @property
    def url(self) -> str:
        """Every node's client URL, comma-separated: the ``hub`` a station or projector uses."""
        return ",".join(node.url for node in self.nodes.values())

    def node(self, name: str) -> NatsServer:
        """The node called ``name`` (``"n1"``, …).

        Raises:
            KeyError: no such node.
        """
        return self.nodes[name]

    def start(self, timeout: float = 30.0) -> NatsCluster:
        """Start every node, then wait until JetStream answers (a meta leader is elected).

        Nodes are started from the calling thread: a node dies with the thread that
        started it (``PR_SET_PDEATHSIG``), so that thread must outlive the cluster.
        """
        try:
            for node in self.nodes.values():
                node.start(timeout)
        except (HubStartError, PortInUse):
            self.stop()
            raise
        self.wait_jetstream(timeout)
        return self

    def wait_jetstream(self, timeout: float = 30.0) -> None:
        """Return once the cluster's JetStream API answers through the running nodes.

        Raises:
            HubStartError: not within ``timeout`` seconds.
        """
        _run(self._wait_jetstream(timeout))

    async def _wait_jetstream(self, timeout: float) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        urls = [node.url for node in self.nodes.values() if node.running()]
        nc = await nats.connect(servers=urls, connect_timeout=timeout)
        try:
            while True:
                try:
                    await nc.jetstream().account_info()
                    return
                except (nats.errors.Error, TimeoutError) as e:
                    if time.monotonic() > deadline:
                        raise HubStartError(f"JetStream not ready after {timeout} s: {e}") from e
                # No event says "a meta leader is elected": ask again shortly.
                await asyncio.sleep(0.1)
        finally:
            await nc.close()

    def kill(self, name: str) -> None:
        """Kill one node at once (SIGKILL), as a crash would."""
        self.nodes[name].kill()

    def start_node(self, name: str, timeout: float = 30.0) -> None:
        """Start a stopped or killed node again, on its ports and store.

        Call it from a thread that outlives the node (see :meth:`start`).
        """
        self.nodes[name].start(timeout)

    def stop(self) -> None:
        """Stop every node gracefully."""
        for node in self.nodes.values():
            node.stop()

    def __enter__(self) -> NatsCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _run(coroutine: Coroutine[object, object, T]) -> T:
    """Run a coroutine to completion, also when the calling thread runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as e:  # handed to the caller
            errors.append(e)

    thread = threading.Thread(target=target, name="nats-cluster-wait")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]

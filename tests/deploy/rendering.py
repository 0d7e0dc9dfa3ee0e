"""``deploy/nats/`` made runnable here: lab certificates, real nkeys, free loopback ports.

Each node gets a directory holding its configuration (the shipped file with only its
paths and addresses moved), ``auth.conf`` from ``auth.conf.example`` with real public
nkeys and the station example switched on, and ``routes.conf`` from
``routes.conf.example`` with a fresh password.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

import nkeys

from benchtrail.api.hub.tls import LabCertificates, ensure_lab_certificates

DEPLOY = Path(__file__).parents[2] / "deploy" / "nats"
NODES = ("n1", "n2", "n3")
STATION = "cell-7"
"""The station of the commented example in ``auth.conf.example``."""


@dataclass(frozen=True)
class Identity:
    """An nkey pair: the seed its owner keeps, the public key the server knows."""

    seed: str
    public: str

    @classmethod
    def new(cls) -> Identity:
        """A fresh user nkey."""
        seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
        return cls(seed.decode(), nkeys.from_seed(seed).public_key.decode())


@dataclass(frozen=True)
class Node:
    """One node's directory, configuration file and loopback ports."""

    name: str
    directory: Path
    config: Path
    client_port: int
    cluster_port: int
    http_port: int


@dataclass(frozen=True)
class Deployment:
    """The rendered deployment: its nodes, certificates and identities."""

    nodes: dict[str, Node]
    certificates: LabCertificates
    hub: Identity
    live: Identity
    station: Identity

    @property
    def urls(self) -> list[str]:
        """Every node's client URL, over TLS."""
        return [f"tls://127.0.0.1:{node.client_port}" for node in self.nodes.values()]


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def render_auth(
    hub: Identity, live: Identity, station: Identity, *, lock_waiting: bool = False
) -> str:
    """``auth.conf.example`` with these public keys and the station example uncommented.

    Args:
        lock_waiting: also switch on the station's optional permissions for waiting
            for a lock and listing the locks.
    """
    text = (DEPLOY / "auth.conf.example").read_text()
    begin, end = text.index("# BEGIN station example"), text.index("# END station example")
    block = re.sub(r"(?m)^(\s*)# ?", r"\1", text[text.index("\n", begin) + 1 : end])
    if lock_waiting:
        block = re.sub(r'(?m)^(\s*)# (")', r"\1\2", block)
    text = text[:begin] + block + text[end:]
    text = text.replace("<public nkey of the hub services>", hub.public)
    text = text.replace("<public nkey of the live feeds>", live.public)
    return text.replace(f"<public nkey of station {STATION}>", station.public)


def render_routes(nodes: dict[str, Node]) -> str:
    """``routes.conf.example`` with a fresh password and the nodes' loopback ports."""
    text = (DEPLOY / "routes.conf.example").read_text()
    text = text.replace("change-me-to-a-long-random-password", secrets.token_urlsafe(24))
    for node in nodes.values():
        text = text.replace(f"@{node.name}:6222", f"@127.0.0.1:{node.cluster_port}")
    return text


def render_node(node: Node, tls: Path) -> str:
    """The shipped ``<node>.conf`` with paths and listen addresses moved here."""
    text = (DEPLOY / f"{node.name}.conf").read_text()
    replacements = {
        "/etc/nats/tls/": f"{tls}/",
        "/data/jetstream": str(node.directory / "jetstream"),
        "0.0.0.0:4222": f"127.0.0.1:{node.client_port}",
        "0.0.0.0:6222": f"127.0.0.1:{node.cluster_port}",
        "127.0.0.1:8222": f"127.0.0.1:{node.http_port}",
    }
    for shipped, here in replacements.items():
        assert shipped in text, f"{node.name}.conf no longer has {shipped!r}"
        text = text.replace(shipped, here)
    return text


def render_deployment(tmp_path: Path, *, lock_waiting: bool = False) -> Deployment:
    """``deploy/nats/`` rendered into ``tmp_path`` for three nodes on this machine.

    Args:
        lock_waiting: give the station the optional permissions of ``auth.conf.example``.
    """
    certificates = ensure_lab_certificates(tmp_path / "tls", list(NODES))
    hub, live, station = Identity.new(), Identity.new(), Identity.new()
    nodes = {
        name: Node(
            name,
            tmp_path / name,
            tmp_path / name / f"{name}.conf",
            free_port(),
            free_port(),
            free_port(),
        )
        for name in NODES
    }
    auth = render_auth(hub, live, station, lock_waiting=lock_waiting)
    routes = render_routes(nodes)
    for node in nodes.values():
        node.directory.mkdir()
        (node.directory / "auth.conf").write_text(auth)
        (node.directory / "routes.conf").write_text(routes)
        node.config.write_text(render_node(node, certificates.ca_cert.parent))
    return Deployment(nodes, certificates, hub, live, station)

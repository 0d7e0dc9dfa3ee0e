"""The embedded nats-server says at once why it could not start."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from benchtrail.api.errors import PortInUse
from benchtrail.api.hub.natsserver import NatsServer
from benchtrail.api.hub.ports import ensure_free


def test_a_taken_port_is_reported_from_nats_servers_own_words_at_once(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(PortInUse) as raised:
            NatsServer(tmp_path / "jetstream", port=port).start()
        took = time.monotonic() - started

    assert took < 2, f"the clash took {took:.1f} s to report"
    assert raised.value.port == port and raised.value.service == "NATS"
    assert f"listen tcp 127.0.0.1:{port}: bind: address already in use" in str(raised.value)


def test_the_port_check_tells_a_listener_from_a_free_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse, match=r"HTTP port 127\.0\.0\.1:\d+ is taken"):
            ensure_free("HTTP", "127.0.0.1", port)
    ensure_free("HTTP", "127.0.0.1", port)  # closed: free again
    ensure_free("HTTP", "127.0.0.1", 0)

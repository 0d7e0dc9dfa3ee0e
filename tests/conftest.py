"""Shared fixtures: a real nats-server on a free port with a temporary store, and real chDB."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from benchtrail.api.natsserver import NatsServer
from benchtrail.projector import Warehouse, open_warehouse

pytest_plugins = ["pytester"]

# CI runs the same examples every time (a red CI must mean a change broke something);
# locally hypothesis keeps exploring and remembers what it found.
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A real nats-server with JetStream, on a free loopback port, store in tmp_path."""
    server = NatsServer(tmp_path / "jetstream").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def hub_url(nats_server: NatsServer) -> str:
    """Client URL of the test's nats-server."""
    return nats_server.url


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One chDB data directory for the whole test process (chDB allows one per process)."""
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture
def warehouse(chdb_path: Path) -> Iterator[Warehouse]:
    """Real embedded ClickHouse (chDB) with a database of this test's own."""
    database = f"bt_test_{uuid.uuid4().hex[:12]}"
    warehouse = open_warehouse(chdb_path, database=database)
    try:
        yield warehouse
    finally:
        warehouse.command(f"DROP DATABASE IF EXISTS {database}")

"""Fixtures of the analytics tests: the constructed data set in a warehouse, served over HTTP."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from benchtrail.api import EventStore
from benchtrail.api.http import create_app
from benchtrail.projector import Warehouse, open_warehouse

from . import dataset


@pytest.fixture(scope="session")
def factory(chdb_path: Path) -> Iterator[Warehouse]:
    """A database of its own holding the constructed data set (read-only for the tests)."""
    database = f"bt_analytics_{uuid.uuid4().hex[:12]}"
    warehouse = open_warehouse(chdb_path, database=database)
    dataset.write(warehouse, dataset.events())
    try:
        yield warehouse
    finally:
        warehouse.command(f"DROP DATABASE IF EXISTS {database}")


class _Server(uvicorn.Server):
    """A uvicorn server that says when it is listening."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = threading.Event()

    async def startup(self, sockets: list[object] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.listening.set()


@pytest.fixture(scope="session")
def analytics_url(factory: Warehouse) -> Iterator[str]:
    """Base URL of the API over the data set, served by uvicorn on a free port."""
    config = uvicorn.Config(
        create_app(factory), host="127.0.0.1", port=0, log_level="warning", ws="none"
    )
    server = _Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-analytics", daemon=True)
    thread.start()
    try:
        assert server.listening.wait(timeout=30), "uvicorn did not start"
        assert server.started, "uvicorn failed to start"
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def store(analytics_url: str) -> Iterator[EventStore]:
    """The Python client against the served data set."""
    with EventStore(analytics_url) as client:
        yield client

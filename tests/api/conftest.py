"""Fixtures of the API tests: a seeded warehouse, the app served by uvicorn on port 0, a client."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from litestar import Litestar

from benchtrail.api import EventStore
from benchtrail.api.http import create_app
from benchtrail.projector import Warehouse, open_warehouse

from .seed import (
    Seed,
    history_sessions,
    main_session,
    paged_sessions,
    running_session,
    write_events,
)


@pytest.fixture(scope="session")
def seeded(chdb_path: Path) -> Iterator[Seed]:
    """A database of its own holding an ended session, a running one and 25 paged ones.

    Shared by every read-only API test of the run: the API never writes.
    """
    database = f"bt_api_{uuid.uuid4().hex[:12]}"
    warehouse = open_warehouse(chdb_path, database=database)
    seed = Seed(warehouse, main_session(), running_session(), paged_sessions())
    write_events(warehouse, seed.all)
    try:
        yield seed
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


def serve(app: Litestar) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yield its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", ws="none")
    server = _Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        assert server.listening.wait(timeout=30), "uvicorn did not start"
        assert server.started, "uvicorn failed to start"
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def api_url(seeded: Seed) -> Iterator[str]:
    """Base URL of the API over the seeded warehouse, served over real HTTP."""
    app = create_app(seeded.warehouse, status_provider=lambda: {"projector": {"lag": 0}})
    yield from serve(app)


@pytest.fixture
def store(api_url: str) -> Iterator[EventStore]:
    """The Python client against the live server."""
    with EventStore(api_url) as client:
        yield client


@pytest.fixture(scope="session")
def history(chdb_path: Path) -> Iterator[Warehouse]:
    """A database of its own: DUT SN-H1's retests across stations, and a long series."""
    database = f"bt_hist_{uuid.uuid4().hex[:12]}"
    warehouse = open_warehouse(chdb_path, database=database)
    write_events(warehouse, history_sessions())
    try:
        yield warehouse
    finally:
        warehouse.command(f"DROP DATABASE IF EXISTS {database}")


@pytest.fixture(scope="session")
def history_url(history: Warehouse) -> Iterator[str]:
    """Base URL of the API over the history database, served over real HTTP."""
    yield from serve(create_app(history))


@pytest.fixture
def history_store(history_url: str) -> Iterator[EventStore]:
    """The Python client against the history API."""
    with EventStore(history_url) as client:
        yield client

"""Shared fixtures: a real nats-server on a free port with a temporary store, and real chDB."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from hypothesis import settings

from benchtrail.api.hub.embedded import Hub
from benchtrail.api.hub.natsserver import NatsServer
from benchtrail.api.hub.options import HubOptions
from benchtrail.projector import Warehouse, open_warehouse

pytest_plugins = ["pytester"]

# CI runs the same examples every time (a red CI must mean a change broke something);
# locally hypothesis keeps exploring and remembers what it found.
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def outbox_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Station outboxes of this test (and its child processes) in a directory of its own.

    Never the user's data directory, and per test: a file one test leaves (a station
    stopped while its hub was down) is not delivered into the next test's hub.
    """
    directory = tmp_path_factory.mktemp("outbox")
    monkeypatch.setenv("BENCHTRAIL_OUTBOX_DIR", str(directory))
    return directory


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


@contextmanager
def hub_in_thread(tmp_path: Path, chdb_path: Path, **options: object) -> Iterator[Hub]:
    """A whole hub (``benchtrail up``) in a background thread, on free ports, with a
    database of its own; ``options`` are further :class:`HubOptions` fields."""
    hub_options = HubOptions(
        data_dir=str(tmp_path / "hub"),
        warehouse=str(chdb_path),
        database=f"bt_hub_{uuid.uuid4().hex[:12]}",
        **{"http_port": 0, "nats_port": 0, **options},  # type: ignore[arg-type]  # HubOptions checks its own fields
    )
    hub = Hub(hub_options)
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            asyncio.run(hub.serve())
        except BaseException as e:  # handed to the test below
            failure.append(e)
            hub.ready.set()

    thread = threading.Thread(target=serve, name="hub", daemon=True)
    thread.start()
    assert hub.ready.wait(60), "the hub did not start within 60 s"
    if failure:
        raise failure[0]
    try:
        yield hub
    finally:
        hub.request_stop()
        thread.join(60)
        assert hub.warehouse is not None
        hub.warehouse.command(f"DROP DATABASE IF EXISTS {hub_options.database}")


@pytest.fixture
def start_hub(tmp_path: Path, chdb_path: Path) -> Callable[..., AbstractContextManager[Hub]]:
    """Starts a hub with further :class:`HubOptions`: ``with start_hub(retention_days=90):``."""
    return lambda **options: hub_in_thread(tmp_path, chdb_path, **options)


@pytest.fixture
def running_hub(start_hub: Callable[..., AbstractContextManager[Hub]]) -> Iterator[Hub]:
    """``benchtrail up`` in-process on free ports, with a database of this test's own."""
    with start_hub() as hub:
        yield hub


REFUSING = ("identity", "deploy", "test_lab_certificates.py")
"""Tests where nats-server refuses connections on purpose (bad credentials, no TLS, revoked)."""
LEAKED_BY_REFUSALS = ("StreamWriter", "_SelectorTransport", "_SSLProtocolTransport", "socket")
"""What nats-py leaves to the garbage collector when the server refuses a (re)connect: it
drops the refused socket without closing it, so Python warns when collecting it."""
LEFT_PENDING_BY_REFUSALS = ("Subscription._wait_for_msgs",)
"""nats-py coroutines still pending when a refused client's event loop closed (a revoked
station's subscription): collecting them warns "Event loop is closed"."""


SERIAL = (
    "faults",
    "test_reads_under_load.py",
    "test_feed_limits.py",
    "test_up_http_limits.py",
    "test_live_revocation.py",
)
"""Fault and load tests with time bounds (kills, SIGSTOP, ingest lag, cut-off clients): marked
``serial``. ``make test`` runs everything else on two workers, then these alone."""


def _refusing(item: pytest.Item) -> bool:
    return any(part in item.path.parts for part in REFUSING)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark :data:`SERIAL` tests. In the refusal tests, ignore exactly the warnings of what
    nats-py leaks (:func:`collect_refused_sockets` collects it before the test ends)."""
    for item in items:
        if any(part in item.path.parts for part in SERIAL):
            item.add_marker(pytest.mark.serial)
        if not _refusing(item):
            continue
        patterns = [
            f"<function {owner}.__del__" if owner != "socket" else "<socket.socket"
            for owner in LEAKED_BY_REFUSALS
        ] + [f"<coroutine object {name}" for name in LEFT_PENDING_BY_REFUSALS]
        for pattern in patterns:
            warning = f"ignore:Exception ignored in. {pattern}"
            item.add_marker(
                pytest.mark.filterwarnings(f"{warning}:pytest.PytestUnraisableExceptionWarning")
            )


@pytest.fixture(autouse=True)
def collect_refused_sockets(request: pytest.FixtureRequest) -> Iterator[None]:
    """In a refusal test, collect what nats-py left (see :data:`LEAKED_BY_REFUSALS`) as the
    test ends, after its other fixtures, while its warning filters apply.

    nats-py logs the refusal with its traceback, and the captured log records keep that
    traceback, its frames and the refused client alive until pytest drops them after the
    test: the collector then found them in whichever later test it next ran (a README test
    failed so in CI). The records of this test are emptied first. Autouse: a
    ``usefixtures`` mark added after collection is not applied.
    """
    if not _refusing(request.node):
        yield
        return
    caplog = request.getfixturevalue("caplog")
    yield
    for when in ("setup", "call"):
        caplog.get_records(when).clear()
    gc.collect()

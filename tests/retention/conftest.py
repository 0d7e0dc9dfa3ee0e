"""Fixtures of the retention tests: a whole hub whose configured retention keeps 90 days."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchtrail.api.hub import Hub, HubOptions

RETENTION_INTERVAL = 0.2
"""Seconds between the prunes of the hub below (an hour in a real hub)."""


@pytest.fixture
def hub_keeping_90_days(tmp_path: Path, chdb_path: Path) -> Iterator[Hub]:
    """``benchtrail up --retention-days 90`` in-process, pruning every 0.2 s."""
    options = HubOptions(
        data_dir=str(tmp_path / "hub"),
        http_port=0,
        nats_port=0,
        warehouse=str(chdb_path),
        database=f"bt_retention_{uuid.uuid4().hex[:12]}",
        retention_days=90,
        retention_interval=RETENTION_INTERVAL,
    )
    hub = Hub(options)
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
        hub.warehouse.command(f"DROP DATABASE IF EXISTS {options.database}")

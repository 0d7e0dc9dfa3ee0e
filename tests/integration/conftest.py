"""A whole embedded hub (nats-server + projector + API) running in a background thread."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchtrail.api.hub import Hub, HubOptions


@pytest.fixture
def running_hub(tmp_path: Path, chdb_path: Path) -> Iterator[Hub]:
    """``benchtrail up`` in-process on free ports, with a database of this test's own."""
    options = HubOptions(
        data_dir=str(tmp_path / "hub"),
        http_port=0,
        nats_port=0,
        warehouse=str(chdb_path),
        database=f"bt_hub_{uuid.uuid4().hex[:12]}",
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

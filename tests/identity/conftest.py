"""A hub with auth on (nkey users generated from its station registry), and station credentials."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from benchtrail.api.hub.access import token_store
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.hub.identity import StationRegistry, credentials_path


@pytest.fixture
def auth_hub(start_hub: Callable[..., AbstractContextManager[Hub]]) -> Iterator[Hub]:
    """``benchtrail up --auth`` in-process: nats-server accepts only registered identities."""
    with start_hub(auth=True) as hub:
        yield hub


@pytest.fixture
def add_station(auth_hub: Hub) -> Callable[[str], Path]:
    """``benchtrail station add ID`` on the hub's data dir, applied at once; the seed file."""

    def add(station_id: str) -> Path:
        registry = StationRegistry(auth_hub.data_dir)
        path = registry.add(station_id).write(credentials_path(auth_hub.data_dir, station_id))
        auth_hub.nats.reload()
        return path

    return add


@pytest.fixture
def viewer_token(auth_hub: Hub) -> str:
    """A viewer token of the hub (with ``--auth`` every API route but health needs one)."""
    return token_store(auth_hub.data_dir).create("reader", "viewer").token

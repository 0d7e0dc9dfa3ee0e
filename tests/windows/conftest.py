"""Fixtures of the observation-window tests: a client on a running hub, registered files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import msgspec
import pytest

from benchtrail.api import FileView, TopicSpec, WindowClient
from benchtrail.api.hub.access import token_store
from benchtrail.api.hub.embedded import Hub

T0 = 1_760_000_000_000_000_000
"""2025-10-09T08:53:20Z in ns: a fixed clock for the files of the tests."""
SECOND = 1_000_000_000
"""One second in ns."""


def at(seconds: int) -> int:
    """The time ``seconds`` after (or before) T0, in ns."""
    return T0 + seconds * SECOND


class Captures(msgspec.Struct, frozen=True):
    """Files registered for a test: two of dataset ``run-42``, one of ``run-43``.

    ``scope``: [T0, T0+100 s], topics ``ch1`` [T0, T0+50 s] and ``ch2`` (whole file).
    ``log``: [T0+200 s, T0+300 s], topics ``ch1`` (whole file) and ``alarm`` [T0+290 s, T0+300 s].
    ``early``: [T0-50 s, T0+10 s] of ``run-43``, topic ``ch2`` (whole file).
    """

    scope: FileView
    log: FileView
    early: FileView


@pytest.fixture
def running_hub(start_hub: Callable[..., AbstractContextManager[Hub]]) -> Iterator[Hub]:
    """A hub with API tokens: who changes a window is the name of the token used."""
    with start_hub(auth=True) as hub:
        yield hub


@pytest.fixture
def operator_token(running_hub: Hub) -> Callable[[str], str]:
    """Makes an operator token named as given, on the running hub."""
    store = token_store(running_hub.data_dir)
    return lambda name: store.create(name, "operator").token


@pytest.fixture
def client(running_hub: Hub, operator_token: Callable[[str], str]) -> Iterator[WindowClient]:
    """A window client signed in as ``alice`` (an operator) on the running hub's API."""
    with WindowClient(running_hub.api_url, token=operator_token("alice")) as window_client:
        yield window_client


@pytest.fixture
def captures(client: WindowClient) -> Captures:
    """Three registered files with extents and topics (see :class:`Captures`)."""
    scope = client.register_file(
        dataset_id="run-42",
        path="scope/ch1-ch2.bin",
        media_type="application/octet-stream",
        size_bytes=4096,
        start_ns=T0,
        end_ns=at(100),
        topics=[TopicSpec(name="ch1", start_ns=T0, end_ns=at(50)), "ch2"],
    )
    log = client.register_file(
        dataset_id="run-42",
        path="logs/station.log",
        start_ns=at(200),
        end_ns=at(300),
        topics=["ch1", TopicSpec(name="alarm", start_ns=at(290), end_ns=at(300))],
    )
    early = client.register_file(
        dataset_id="run-43",
        path="scope/early.bin",
        start_ns=at(-50),
        end_ns=at(10),
        topics=["ch2"],
    )
    return Captures(scope, log, early)

"""Fixtures of the retention tests: a whole hub whose configured retention keeps 90 days."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest

from benchtrail.api.hub.embedded import Hub

RETENTION_INTERVAL = 0.2
"""Seconds between the prunes of the hub below (an hour in a real hub)."""


@pytest.fixture
def hub_keeping_90_days(start_hub: Callable[..., AbstractContextManager[Hub]]) -> Iterator[Hub]:
    """``benchtrail up --retention-days 90`` in-process, pruning every 0.2 s."""
    with start_hub(retention_days=90, retention_interval=RETENTION_INTERVAL) as hub:
        yield hub

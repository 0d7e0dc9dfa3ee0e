"""A serving hub keeps its startup objects out of the garbage collector's full scans."""

from __future__ import annotations

import gc
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx

from benchtrail.api.hub.embedded import Hub


def test_a_serving_hub_freezes_its_startup_objects_and_gives_them_back_when_it_stops(
    start_hub: Callable[..., AbstractContextManager[Hub]],
) -> None:
    """While it serves, what the hub made at startup is frozen (a full collection set off by
    a large answer does not walk it); once stopped, it is collectable again (no leak)."""
    before = gc.get_freeze_count()
    with start_hub(freeze_startup=True) as hub:  # as `benchtrail up` runs it
        frozen = gc.get_freeze_count()
        assert frozen > before + 10_000, "the hub's startup objects are frozen while it serves"
        httpx.get(f"{hub.api_url}/api/health", timeout=10).raise_for_status()
        gc.collect()  # a full collection while serving leaves the frozen objects frozen
        assert gc.get_freeze_count() > before + 10_000
    assert gc.get_freeze_count() == before


def test_a_hub_embedded_in_another_program_leaves_its_collection_alone(
    start_hub: Callable[..., AbstractContextManager[Hub]],
) -> None:
    before = gc.get_freeze_count()
    with start_hub():
        assert gc.get_freeze_count() == before

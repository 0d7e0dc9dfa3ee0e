"""A request's independent reads run at once, each on a chDB client of its own."""

from __future__ import annotations

import threading

import pytest

from benchtrail.projector import Warehouse
from benchtrail.projector.warehouse import READ_CLIENTS


def test_reads_run_at_once_on_clients_of_their_own(warehouse: Warehouse) -> None:
    assert READ_CLIENTS == 2
    started = [threading.Event(), threading.Event()]

    def read(mine: int) -> int:
        started[mine].set()
        # the other call is under way at the same time: one after the other, this would wait
        assert started[1 - mine].wait(10), "the calls ran one after the other"
        return int(warehouse.scalar(f"SELECT {mine} + count() FROM system.one"))

    assert warehouse.together(lambda: read(0), lambda: read(1)) == [1, 2]
    assert warehouse.together() == []


def test_a_call_within_a_call_runs_its_calls_in_turn_and_errors_reach_the_caller(
    warehouse: Warehouse,
) -> None:
    def nested() -> list[int]:
        return warehouse.together(lambda: 1, lambda: 2, lambda: 3)

    assert warehouse.together(nested, nested, nested) == [[1, 2, 3]] * 3

    def broken() -> None:
        warehouse.rows("SELECT no_such_column FROM system.one")

    with pytest.raises(Exception, match="no_such_column"):
        warehouse.together(lambda: 1, broken)
    assert warehouse.together(lambda: warehouse.scalar("SELECT 7"), lambda: 8) == [7, 8]

"""The warehouse's turns: one call at a time, and a waiting write goes before waiting reads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from benchtrail.projector import WritersFirst


def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_a_waiting_write_goes_before_reads_that_queued_earlier() -> None:
    turns, order = WritersFirst(), []

    def call(kind: str, name: str) -> None:
        with turns.writing() if kind == "write" else turns.reading():
            order.append(name)

    threads = []
    with turns.reading():  # a read under way
        for name in ("read-1", "read-2", "read-3"):
            threads.append(threading.Thread(target=call, args=("read", name)))
            threads[-1].start()
        _until(lambda: turns.waiting() == (3, 0))
        threads.append(threading.Thread(target=call, args=("write", "insert")))
        threads[-1].start()
        _until(lambda: turns.waiting() == (3, 1))
    for thread in threads:
        thread.join(10)
    assert order[0] == "insert"
    assert sorted(order[1:]) == ["read-1", "read-2", "read-3"]
    assert turns.waiting() == (0, 0)


def test_calls_never_overlap() -> None:
    turns, inside, overlaps = WritersFirst(), [0], [0]

    def call(write: bool) -> None:
        for _ in range(200):
            with turns.writing() if write else turns.reading():
                inside[0] += 1
                overlaps[0] += inside[0] > 1
                inside[0] -= 1

    threads = [threading.Thread(target=call, args=(i % 3 == 0,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert overlaps[0] == 0


def test_reads_share_their_turns_up_to_the_readers_and_never_overlap_a_write() -> None:
    turns, inside, most, beside_write = WritersFirst(readers=2), [0, 0], [0], [0]
    lock = threading.Lock()

    def call(write: bool) -> None:
        for _ in range(300):
            with turns.writing() if write else turns.reading():
                with lock:
                    inside[write] += 1
                    most[0] = max(most[0], inside[False])
                    beside_write[0] += inside[True] > 1 or (inside[True] and inside[False])
                time.sleep(0.0001)
                with lock:
                    inside[write] -= 1

    threads = [threading.Thread(target=call, args=(i == 0,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert most[0] == 2  # two reads at once, never three
    assert beside_write[0] == 0


def test_readers_must_be_at_least_one() -> None:
    with pytest.raises(ValueError, match="readers must be at least 1, got 0"):
        WritersFirst(readers=0)

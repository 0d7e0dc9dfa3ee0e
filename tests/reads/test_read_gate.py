"""Warehouse reads take turns: a bounded line waits, the rest get 503, health never waits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx

from benchtrail.api.http.read_gate import ReadGate, ReadLimits, is_warehouse_read
from benchtrail.api.hub.embedded import Hub

StartHub = Callable[..., AbstractContextManager[Hub]]


def _until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_reads_beyond_the_turns_and_the_line_are_refused_and_health_answers(
    start_hub: StartHub,
) -> None:
    limits = ReadLimits(slots=1, max_waiting=1, wait_s=1.0)
    with start_hub(reads=limits) as hub, httpx.Client(base_url=hub.api_url, timeout=30) as client:
        gate, warehouse = hub.read_gate, hub.warehouse
        assert isinstance(gate, ReadGate) and warehouse is not None
        answers: dict[str, httpx.Response] = {}

        def read(name: str) -> None:
            answers[name] = client.get("/api/stations")

        first = threading.Thread(target=read, args=("first",))
        second = threading.Thread(target=read, args=("second",))
        with warehouse.turns.writing():  # the warehouse is busy: the first read cannot finish
            first.start()
            _until(lambda: gate.running == 1)
            second.start()
            _until(lambda: gate.waiting == 1)

            third = client.get("/api/stations")
            assert third.status_code == 503
            assert third.headers["retry-after"] == "1"
            body = third.json()
            assert body["error"] == "limit_reached" and body["limit"] == "max_waiting"
            assert "busy" in body["detail"]

            started = time.monotonic()
            health = client.get("/api/health")  # answered from memory, not in the line
            assert health.status_code == 200
            assert time.monotonic() - started < 0.5
            assert health.json()["reads"] == {"running": 1, "waiting": 1, "refused": 1}

            second.join(10)  # gave up after wait_s
            assert answers["second"].status_code == 503
            assert answers["second"].json()["limit"] == "wait_s"
        first.join(10)
        assert answers["first"].status_code == 200
        assert client.get("/api/stations").status_code == 200
        assert gate.status() == {"running": 0, "waiting": 0, "refused": 2}


def test_a_slow_reader_gives_its_turn_back_when_its_answer_starts(start_hub: StartHub) -> None:
    with (
        start_hub(reads=ReadLimits(slots=1, max_waiting=0)) as hub,
        httpx.stream("GET", f"{hub.api_url}/api/measurements?limit=10") as slow,
    ):
        assert slow.status_code == 200  # headers read, body not: the turn is back
        assert httpx.get(f"{hub.api_url}/api/sessions", timeout=10).status_code == 200


def test_only_warehouse_reads_take_turns() -> None:
    assert is_warehouse_read("GET", "/api/measurements")
    assert is_warehouse_read("GET", "/api/health/ingest")
    assert is_warehouse_read("HEAD", "/api/runs/x")
    for method, path in [
        ("GET", "/api/health"),
        ("GET", "/api/live"),
        ("GET", "/api/locks"),
        ("POST", "/api/auth/session"),
        ("GET", "/dashboard/"),
        ("POST", "/api/windows"),
    ]:
        assert not is_warehouse_read(method, path), (method, path)

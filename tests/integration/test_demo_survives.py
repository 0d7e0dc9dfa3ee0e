"""The demo hub's stations survive instrument errors, a bug and a hub that went away."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import pytest

from benchtrail.agents import demo
from benchtrail.agents.demo_status import DemoStatus
from benchtrail.agents.errors import InstrumentError
from benchtrail.agents.instruments import Dmm
from benchtrail.api.hub.embedded import Hub, _demo_station_stopped
from benchtrail.schemas import now_ns

pytestmark = pytest.mark.slow

STATIONS = ("demo-1", "demo-2")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll the stations' own counters (they change on the stations' clock) until true."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _await(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    assert _wait_until(condition, seconds), f"not within {seconds} s: {what}"


class Faults:
    """Makes chosen calls fail: the n-th DMM voltage reading, the n-th ripple limit."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.readings = 0
        self.limits = 0
        self.failing_readings = {3, 6}
        self.failing_limits = {5}

    def reading(self, original: Callable[[Dmm], float]) -> Callable[[Dmm], float]:
        def measure_voltage_dc(dmm: Dmm) -> float:
            with self.lock:
                self.readings += 1
                fail = self.readings in self.failing_readings
            if fail:
                raise InstrumentError("dmm", "MEAS:VOLT:DC?", '-230,"Data corrupt or stale"')
            return original(dmm)

        return measure_voltage_dc

    def limit(self, original: Callable[..., float]) -> Callable[..., float]:
        def waveform_limit(*args: object) -> float:
            with self.lock:
                self.limits += 1
                fail = self.limits in self.failing_limits
            if fail:
                raise ZeroDivisionError("a bug in the test program")
            return original(*args)

        return waveform_limit


class Logged(logging.Handler):
    """Keeps the demo's log records (the hub's logging setup may replace the root's handlers)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_demo_stations_record_through_instrument_errors_a_bug_and_a_hub_outage(
    start_hub: Callable[..., AbstractContextManager[Hub]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    faults = Faults()
    logged = Logged()
    monkeypatch.setattr(logging.getLogger("benchtrail.demo"), "handlers", [logged])
    monkeypatch.setattr(Dmm, "measure_voltage_dc", faults.reading(Dmm.measure_voltage_dc))
    monkeypatch.setattr(demo, "waveform_limit", faults.limit(demo.waveform_limit))
    with start_hub(demo=True, demo_stations=len(STATIONS), nats_port=_free_port()) as hub:
        fleet = hub.demo
        assert fleet is not None
        status = {s.station_id: s.status for s in fleet.stations}

        _await(lambda: sum(s.errors for s in status.values()) >= 3, "3 injected errors met")
        _await(lambda: all(s.runs >= 2 for s in status.values()), "2 runs on every station")

        # The hub's NATS goes away for a moment and comes back on the same port and store.
        errors_before_outage = sum(s.errors for s in status.values())
        hub.nats.stop()
        # Down until a station noticed (a lock or an ack it could not get), 6 s at most.
        _wait_until(lambda: sum(s.errors for s in status.values()) > errors_before_outage, 6)
        hub.nats.requested_port = hub.nats.port
        hub.nats.start()
        back_ns = now_ns()
        runs_then = {station: s.runs for station, s in status.items()}
        _await(
            lambda: all(status[i].runs >= runs_then[i] + 2 for i in STATIONS),
            "2 more runs on every station after the outage",
            90,
        )
        assert all(thread.is_alive() for thread in fleet.threads), fleet.statuses()
        assert {s.state for s in status.values()} <= {"recording", "backing off"}
        api = hub.api_url

        def finished_since_back() -> set[str]:
            params = {"limit": 1000, "since": back_ns}
            runs = httpx.get(f"{api}/api/runs", params=params).json()["items"]
            return {r["station_id"] for r in runs if r["outcome"] in ("passed", "failed")}

        _await(lambda: finished_since_back() == set(STATIONS), "runs in the warehouse", 90)
        hub.wait_ingested()
        health = httpx.get(f"{api}/api/health").json()
        shown = {s["station_id"]: s for s in health["demo"]}
        assert shown.keys() == set(STATIONS)
        assert any("InstrumentError" in s["last_error"] for s in shown.values()) or any(
            s["errors"] > 0 for s in shown.values()
        )

        runs = httpx.get(f"{api}/api/runs", params={"limit": 1000}).json()["items"]
        errored = [r for r in runs if r["outcome"] == "error"]
        assert any("Data corrupt or stale" in r["error"] for r in errored), errored
        assert any("a bug in the test program" in r["error"] for r in errored), errored
        sessions = httpx.get(f"{api}/api/sessions", params={"limit": 1000}).json()["items"]
        ended_by_error = [s for s in sessions if "InstrumentError" in s["end_reason"]]
        assert ended_by_error, "the session an instrument error ended says so"
        logs = httpx.get(
            f"{api}/api/sessions/{ended_by_error[0]['session_id']}/events",
            params={"event_type": "log"},
        ).json()
        assert any(
            e["level"] == "error" and "Data corrupt or stale" in e["message"] for e in logs
        ), logs
        stations = httpx.get(f"{api}/api/stations").json()
        assert {s["station_id"] for s in stations} == set(STATIONS)

    bugs = [r for r in logged.records if r.exc_info]
    assert bugs, "the unexpected error was logged with its traceback"
    assert "ZeroDivisionError" in logging.Formatter().format(bugs[0])
    assert all(s.state == "stopped" for s in status.values())
    assert {s.stopped_reason for s in status.values()} == {demo.DEMO_STOPPED}


def test_the_hub_logs_a_demo_station_that_stopped_and_why(caplog: pytest.LogCaptureFixture) -> None:
    status = DemoStatus(station_id="demo-2", state="stopped", stopped_reason="crashed: boom")
    with caplog.at_level(logging.ERROR, "benchtrail.hub"):
        _demo_station_stopped(status)
        _demo_station_stopped(DemoStatus(station_id="demo-3", stopped_reason=demo.DEMO_STOPPED))
    assert caplog.messages == ["demo station demo-2 stopped: crashed: boom"]

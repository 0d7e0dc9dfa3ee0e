"""A demo station says when it stopped and why, and backs off between errors."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import pytest

from benchtrail.agents import demo
from benchtrail.agents.demo import DemoStation
from benchtrail.agents.demo_status import Backoff, DemoStatus
from benchtrail.agents.errors import InstrumentError
from benchtrail.agents.instruments import Dmm
from benchtrail.agents.run import Run
from benchtrail.agents.station import Station
from benchtrail.schemas import Log, RunEnded, SessionEnded


def test_backoff_doubles_up_to_its_bound_and_starts_again_after_a_success() -> None:
    backoff = Backoff(0.5, 3.0)
    assert [backoff.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.next() == 0.5


def _station(hub: str, **options: object) -> tuple[DemoStation, list[DemoStatus]]:
    stopped: list[DemoStatus] = []
    station = DemoStation(
        "demo-7",
        hub,
        threading.Event(),
        pause=0.0,
        backoff=Backoff(0.01, 0.02),
        on_stop=stopped.append,
        **options,  # type: ignore[arg-type]
    )
    return station, stopped


def test_a_station_that_gives_up_says_why_and_recorded_each_error(
    hub: str, read_stream: Callable[[str], object], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(dmm: Dmm) -> float:
        raise InstrumentError("dmm", "MEAS:VOLT:DC?", '-240,"Hardware error"')

    monkeypatch.setattr(Dmm, "measure_voltage_dc", broken)
    station, stopped = _station(hub, give_up_after=2)
    station.run()  # returns: it gave up

    assert stopped == [station.status]
    assert station.status.state == "stopped"
    assert station.status.errors == 2
    assert station.status.stopped_reason == (
        "gave up after 2 errors in a row: InstrumentError: instrument 'dmm',"
        " command 'MEAS:VOLT:DC?': -240,\"Hardware error\""
    )
    events = read_stream(hub).events  # type: ignore[attr-defined]
    ended = [e for e in events if isinstance(e, RunEnded)]
    assert [e.outcome for e in ended] == ["error", "error"]
    logs = [e for e in events if isinstance(e, Log)]
    assert [e.level for e in logs] == ["error", "error"]
    assert all("Hardware error" in e.message for e in logs)
    ends = [e for e in events if isinstance(e, SessionEnded)]
    assert len(ends) == 2 and all("Hardware error" in e.reason for e in ends)


def test_ctrl_c_stops_a_station_cleanly(hub: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(run: Run, station: Station, rng: random.Random) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, "regulator_test", interrupted)
    station, stopped = _station(hub)
    station.run()
    assert stopped[0].stopped_reason == "interrupted (KeyboardInterrupt)"
    assert station.status.errors == 0

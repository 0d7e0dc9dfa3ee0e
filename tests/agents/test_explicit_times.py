"""Events carry the time the test tool reports (``at=``, ``started_at=``, ``ended_at=``)."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from benchtrail.agents import InvalidTime, connect
from benchtrail.schemas import (
    Log,
    Measurement,
    RunEnded,
    RunStarted,
    StepEnded,
    StepStarted,
)

YEAR_2100 = 4_102_444_800_000_000_000
SECOND = 1_000_000_000
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def test_explicit_times_are_kept_and_seq_keeps_the_recording_order(hub, read_stream):
    t0 = time.time_ns() // 1000 * 1000 - 3600 * SECOND  # an hour ago, imported afterwards
    with connect("cell-7", hub=hub) as station:
        run = station.run("SN-1", started_at=t0)
        step = run.start_step("power_on", started_at=t0 + 1 * SECOND)
        run.measure("vout", 5.0, "V", at=t0 + 2 * SECOND, step="power_on")
        step.end(ended_at=EPOCH + dt.timedelta(microseconds=(t0 + 3 * SECOND) // 1000))
        station.log("late", "warning", run_id=run.run_id, at=t0 + 1500 * 1_000_000)
        run.end("passed", ended_at=t0 + 4 * SECOND)

    events = [e for e in read_stream(hub).events if e.session_id == station.session_id]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    by_type = {type(e): e for e in events}
    assert by_type[RunStarted].occurred_at == t0
    assert by_type[StepStarted].occurred_at == t0 + SECOND
    assert by_type[Measurement].occurred_at == t0 + 2 * SECOND
    ended = by_type[StepEnded]
    assert ended.occurred_at == t0 + 3 * SECOND  # given as a datetime
    assert ended.duration_ns == ended.occurred_at - by_type[StepStarted].occurred_at
    assert by_type[Log].occurred_at == t0 + 1500 * 1_000_000  # before the step's end, seq after
    assert by_type[Log].seq > ended.seq
    run_end = by_type[RunEnded]
    assert (run_end.occurred_at, run_end.duration_ns) == (t0 + 4 * SECOND, 4 * SECOND)


def test_a_live_step_and_run_end_minus_start_is_their_duration(hub, read_stream):
    with connect("cell-7", hub=hub) as station, station.run("SN-2") as run, run.step("settle"):
        time.sleep(0.02)

    events = [e for e in read_stream(hub).events if e.session_id == station.session_id]
    [started] = [e for e in events if isinstance(e, StepStarted)]
    [ended] = [e for e in events if isinstance(e, StepEnded)]
    assert ended.duration_ns >= 20_000_000
    assert ended.occurred_at - started.occurred_at == ended.duration_ns
    [run_start] = [e for e in events if isinstance(e, RunStarted)]
    [run_end] = [e for e in events if isinstance(e, RunEnded)]
    assert run_end.occurred_at - run_start.occurred_at == run_end.duration_ns


def test_bad_times_are_refused_at_the_call_naming_the_value_and_nothing_is_recorded(
    hub, read_stream
):
    now = time.time_ns()
    with connect("cell-7", hub=hub) as station, station.run("SN-3", started_at=now) as run:
        with pytest.raises(InvalidTime, match=r"measurement 'v' at: 4102444800000000000 ns"):
            run.measure("v", 1.0, at=YEAR_2100)
        with pytest.raises(InvalidTime, match=r"naive datetime"):
            run.measure("v", 1.0, at=dt.datetime(2026, 1, 1))  # the point
        with pytest.raises(InvalidTime, match=r"run started_at: expected ns since the epoch"):
            station.run("SN-4", started_at="yesterday")  # type: ignore[arg-type]
        with pytest.raises(InvalidTime, match=r"outside the time window \[2000-01-01"):
            station.emit(Log, at=5, message="x")
        step = run.start_step("s", started_at=now)
        with pytest.raises(InvalidTime, match=r"step 's' ended_at: .* is before the start"):
            step.end(ended_at=now - 1)
        step.end(ended_at=now + 10)

    events = [e for e in read_stream(hub).events if e.session_id == station.session_id]
    assert not [e for e in events if isinstance(e, Measurement | Log)]
    assert len([e for e in events if isinstance(e, RunStarted)]) == 1
    [ended] = [e for e in events if isinstance(e, StepEnded)]
    assert (ended.occurred_at, ended.duration_ns) == (now + 10, 10)

"""The station agent against a real nats-server: what a script records is what lands."""

from __future__ import annotations

import asyncio
import math
import os
import time

import numpy as np
import pytest

from benchtrail.agents import (
    ConfigError,
    InvalidMeasurement,
    InvalidMetadata,
    RunNotActive,
    SessionNotActive,
    Unacknowledged,
    aconnect,
    connect,
)
from benchtrail.api.hub.natsserver import NatsServer
from benchtrail.schemas import (
    Measurement,
    MeasurementBatch,
    RunEnded,
    RunStarted,
    SessionEnded,
    SessionStarted,
)


def test_a_session_lands_in_order_with_its_metadata(hub, read_stream):
    with connect("cell-7", hub=hub, operator="alice", fixture_id="FX-1", slot_count=4) as station:
        with station.run(
            dut_serial="SN123",
            part_number="PWR-5V",
            revision="C",
            lot_number="L42",
            test_phase="production",
            custom_metadata={"temp_c": 25.5, "shift": "night"},
        ) as run:
            assert run.measure("vout", 5.01, unit="V", low=4.95, high=5.05) == "passed"
            assert run.measure("iq", 0.2, unit="A", high=0.15) == "failed"
            stamps = time.time_ns() + np.arange(1000, dtype=np.int64)
            assert run.measure_batch("ripple", np.linspace(0, 1, 1000), stamps, unit="V") == 1000
        session_id = station.session_id

    landed = read_stream(hub)
    types = [type(e) for e in landed.events]
    assert types == [
        SessionStarted,
        RunStarted,
        Measurement,
        Measurement,
        MeasurementBatch,
        RunEnded,
        SessionEnded,
    ]
    assert [e.seq for e in landed.events] == list(range(1, 8))
    assert {e.session_id for e in landed.events} == {session_id}
    assert set(landed.subjects) == {f"bt.evt.cell-7.{session_id}"}
    assert landed.msg_ids[0] == f"{session_id}:1"

    started = landed.events[0]
    assert isinstance(started, SessionStarted)
    assert started.operator.id == "alice"
    assert started.station.hostname and started.process.pid == os.getpid()
    assert started.process.client.name == "pytest"
    assert started.environment.python and "msgspec" in started.environment.packages
    assert started.git.commit, "the test runs inside a git checkout; its commit is recorded"
    assert (started.fixture_id, started.slot_count) == ("FX-1", 4)

    run_started = landed.events[1]
    assert isinstance(run_started, RunStarted)
    assert (run_started.dut.serial, run_started.dut.part_number) == ("SN123", "PWR-5V")
    assert (run_started.dut.revision, run_started.dut.lot_number) == ("C", "L42")
    assert run_started.custom_metadata == {"temp_c": 25.5, "shift": "night"}
    ended = landed.events[5]
    assert isinstance(ended, RunEnded)
    assert ended.outcome == "failed"
    assert (ended.measurement_count, ended.failed_measurement_count) == (1002, 1)
    batch = landed.events[4]
    assert isinstance(batch, MeasurementBatch) and len(batch.values) == 1000


def test_many_measurements_travel_in_few_frames(hub, read_stream):
    with connect("cell-7", hub=hub) as station, station.run(dut_serial="SN1") as run:
        for i in range(5000):
            run.measure("v", float(i), unit="V")
    landed = read_stream(hub)
    assert len(landed.events) == 5004
    assert len(landed.msg_ids) <= 20, "events are framed, not one message per event"
    assert len(set(landed.msg_ids)) == len(landed.msg_ids)


def test_an_exception_in_a_run_ends_it_as_error_and_is_reraised(hub, read_stream):
    with (
        connect("cell-7", hub=hub) as station,
        pytest.raises(ZeroDivisionError),
        station.run(dut_serial="SN9"),
    ):
        1 / 0  # noqa: B018
    ended = [e for e in read_stream(hub).events if isinstance(e, RunEnded)]
    assert ended[0].outcome == "error"
    assert "ZeroDivisionError" in ended[0].error


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "", "value": 1.0}, "name must be non-empty"),
        ({"name": "v", "value": 1.0, "low": math.nan}, "low limit must be finite"),
        ({"name": "v", "value": 1.0, "high": math.inf}, "high limit must be finite"),
        ({"name": "v", "value": 1.0, "low": 2.0, "high": 1.0}, "above high limit"),
        ({"name": "v", "value": [1, 2]}, "value must be a number, bool or str"),
        ({"name": "v", "value": 1.0, "low": "4.9"}, "low limit must be a number"),
        ({"name": "v", "value": math.nan}, "value must be finite"),
    ],
)
def test_bad_measurements_fail_at_the_call_and_nothing_is_published(
    hub, read_stream, kwargs, message
):
    with connect("cell-7", hub=hub) as station, station.run(dut_serial="SN1") as run:
        with pytest.raises(InvalidMeasurement, match=message):
            run.measure(**kwargs)
        run.measure("ok", 1.0)
    landed = read_stream(hub)
    assert [e.seq for e in landed.events] == [1, 2, 3, 4, 5], "no gap, nothing extra"
    assert [e.name for e in landed.events if isinstance(e, Measurement)] == ["ok"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("w", ["a", "b"], [1, 2]), "batch values must be numbers"),
        (("w", [1.0, 2.0], [1]), "2 values but 1 timestamps"),
        (("w", [1.0, 2.0], None), "give timestamps_ns"),
        (("w", [], []), "batch has no values"),
        (("w", [1.0, math.inf], [1, 2]), "value 1 is inf"),
        ((["a"], [1.0, 2.0], [1, 2]), "2 values but 1 names"),
    ],
)
def test_bad_batches_fail_at_the_call(hub, read_stream, args, message):
    with (
        connect("cell-7", hub=hub) as station,
        station.run() as run,
        pytest.raises(InvalidMeasurement, match=message),
    ):
        run.measure_batch(*args)
    assert not [e for e in read_stream(hub).events if isinstance(e, MeasurementBatch)]


def test_bad_station_ids_and_metadata_are_refused():
    with pytest.raises(ConfigError, match=r"expected a station id .* got 'cell 7'"):
        connect("cell 7")
    with pytest.raises(InvalidMetadata, match="custom_metadata"):
        connect("cell-7").run(custom_metadata={"x": [1]})
    with pytest.raises(InvalidMetadata, match="a finite number"):
        connect("cell-7").run(custom_metadata={"temp": math.inf})


def test_recording_outside_a_session_or_after_a_run_is_refused(hub):
    station = connect("cell-7", hub=hub)
    with pytest.raises(SessionNotActive):
        station.run()
    station.start()
    run = station.run(dut_serial="SN1")
    run.end()
    with pytest.raises(RunNotActive):
        run.measure("v", 1.0)
    station.stop()
    with pytest.raises(SessionNotActive, match="stopped"):
        station.log("late")


def test_large_batches_are_split_into_frames_under_the_payload_limit(hub, read_stream):
    points = 250_000
    with connect("cell-7", hub=hub) as station, station.run() as run:
        run.measure_batch("wave", np.zeros(points), interval_ns=1000)
    batches = [e for e in read_stream(hub).events if isinstance(e, MeasurementBatch)]
    assert sum(len(b.values) for b in batches) == points
    assert len(batches) > 1


def test_flush_names_unacknowledged_events_and_delivers_them_when_the_hub_returns(
    nats_server: NatsServer, hub, read_stream
):
    station = connect("cell-7", hub=hub, flush_timeout=1.0).start()
    station.flush()
    nats_server.stop()
    with station.run(dut_serial="SN-OFFLINE") as run:
        for i in range(2500):  # several frames, all waiting for the hub
            run.measure("v", float(i))
    with pytest.raises(Unacknowledged, match=r"\d+ event\(s\) not acknowledged") as caught:
        station.flush(timeout=1.0)
    assert caught.value.count >= 3
    assert caught.value.hub == hub

    nats_server.restart()
    station.flush(timeout=30)
    station.stop()
    events = read_stream(hub).events
    # A frame written into the dying connection is resent after its ack times out,
    # possibly behind frames sent after it: stream order can differ from seq order
    # (the warehouse orders by seq); what must hold is every event exactly once.
    assert sorted(e.seq for e in events) == list(range(1, 2505)), "nothing lost or doubled"


def test_async_api(hub, read_stream):
    async def script() -> None:
        async with aconnect("cell-8", hub=hub, operator="bob") as station:
            async with station.run(dut_serial="SN-A") as run:
                run.measure("v", True)
            await station.flush()

    asyncio.run(script())
    events = read_stream(hub).events
    assert [type(e) for e in events][:2] == [SessionStarted, RunStarted]
    assert isinstance(events[2], Measurement) and events[2].value is True

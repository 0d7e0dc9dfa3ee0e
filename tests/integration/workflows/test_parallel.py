"""Timed runs with background tasks, the async form, ad-hoc records and safe state."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from benchtrail.agents import MeasurementSession, TaskFailed, connect
from benchtrail.agents.instruments import SIM_RESOURCES, open_instrument
from benchtrail.api import EventStore
from benchtrail.api.hub.embedded import Hub


def test_timed_run_acquires_at_the_interval_while_a_task_runs(running_hub: Hub, project: Path):
    task_steps: list[float] = []
    with MeasurementSession(station="cell-7", mock=True, hub=running_hub.nats.url) as session:
        session.instrument("psu")
        session.instrument("dmm")
        session.parameter("setpoint", [5.0], unit="V")

        @session.task
        def ramp(psu, setpoint, stop_event: threading.Event):
            level = 0.0
            while not stop_event.is_set():
                level = min(setpoint, level + 0.5)
                psu.set(voltage=level)
                task_steps.append(level)
                stop_event.wait(0.02)

        @session.acquire
        def monitor(dmm, setpoint):
            return {"v_out": dmm.measure_voltage_dc()}

        experiment = session.run(duration=0.6, interval=0.05)

    points = experiment.data.height
    assert 8 <= points <= 13, points  # 0.6 s at 0.05 s: 12 ticks, allowing for a slow machine
    assert experiment.data["setpoint"].to_list() == [5.0] * points
    assert len(task_steps) >= 5 and task_steps[-1] == 5.0
    gaps = experiment.data["timestamp"].diff().drop_nulls().dt.total_milliseconds()
    assert gaps.median() >= 40  # acquisitions are paced, not back to back


def test_a_failing_task_stops_the_run_and_is_named(running_hub: Hub, project: Path):
    acquired = []
    with MeasurementSession(station="cell-7", mock=True, hub=running_hub.nats.url) as session:
        psu = session.instrument("psu")
        psu.set(voltage=3.0)
        psu.output(True)
        started = threading.Event()

        @session.task
        def chamber(stop_event):
            started.wait(5)
            raise RuntimeError("chamber door open")

        @session.acquire
        def monitor():
            acquired.append(1)
            started.set()
            return {"x": 1.0}

        with pytest.raises(TaskFailed, match="task 'chamber' failed: RuntimeError"):
            session.run(duration=30, interval=0.01)
        assert len(acquired) < 500  # stopped long before the 30 s were up
        assert psu.output_enabled is False  # safe state on the way out
        run_id = session.station.publisher  # keep the session alive for the query below
    running_hub.wait_ingested()
    warehouse = running_hub.warehouse
    assert warehouse is not None and run_id is not None
    ends = warehouse.rows(
        f"SELECT outcome, error FROM {warehouse.database}.run_ends FINAL"
        f" WHERE run_id IN (SELECT run_id FROM {warehouse.database}.runs FINAL"
        " WHERE custom_metadata LIKE '%experiment%')"
    )
    assert [e["outcome"] for e in ends] == ["error"]
    assert "chamber door open" in ends[0]["error"]


def test_ctrl_c_ends_the_run_aborted_with_outputs_off(running_hub: Hub, project: Path):
    with MeasurementSession(station="cell-7", mock=True, hub=running_hub.nats.url) as session:
        psu = session.instrument("psu")
        session.parameter("voltage", [1.0, 2.0, 3.0])

        @session.acquire
        def measure(psu, voltage):
            psu.set(voltage=voltage)
            psu.output(True)
            if voltage == 2.0:
                raise KeyboardInterrupt
            return {"v": voltage}

        with pytest.raises(KeyboardInterrupt):
            session.run()
        assert psu.output_enabled is False
    running_hub.wait_ingested()
    warehouse = running_hub.warehouse
    assert warehouse is not None
    outcomes = warehouse.rows(f"SELECT outcome FROM {warehouse.database}.run_ends FINAL")
    assert [o["outcome"] for o in outcomes] == ["aborted"]


def test_async_form_with_given_instruments_metadata_and_records(running_hub: Hub, project: Path):
    dmm = open_instrument("dmm", "dmm", SIM_RESOURCES["dmm"], sim=True)
    psu = open_instrument("psu", "psu", SIM_RESOURCES["psu"], sim=True)

    async def script() -> tuple[str, float]:
        async with MeasurementSession(
            station="cell-7",
            hub=running_hub.nats.url,
            instruments={"dmm": dmm, "psu": psu},
            metadata={"operator": "Alice", "experiment": "PSU test"},
        ) as session:
            psu.set(voltage=5.0)
            psu.output(True)
            v = dmm.measure_voltage_dc()
            session.record("dmm_voltage", v, "V")
            session.record("dmm_voltage", v + 0.001, "V")
            session.record("verdict", "ok")
            assert session.records == {"dmm_voltage": [v, v + 0.001], "verdict": ["ok"]}
            assert session.record_run_id is not None
            return session.record_run_id, v

    run_id, v = asyncio.run(script())
    assert psu.output_enabled is False  # safe state for given instruments too
    running_hub.wait_ingested()
    with EventStore(running_hub.api_url) as store:
        back = store.experiment(run_id)
        run = store.run(run_id)
    assert back.records == {"dmm_voltage": [v, v + 0.001], "verdict": ["ok"]}
    assert run.custom_metadata == {"operator": "Alice", "experiment": "PSU test"}
    assert back.data.height == 0


def test_a_connected_station_is_recorded_into_and_left_open(running_hub: Hub, project: Path):
    with connect("cell-7", hub=running_hub.nats.url, mock=True) as station:
        with MeasurementSession("inner", station=station) as session:
            session.parameter("n", [1, 2])
            session.acquire(lambda n: {"n2": n * n})
            experiment = session.run()
        assert station.state == "running"
        assert experiment.metadata.session_id == station.session_id

"""MeasurementSession sweeps: the DataFrame a user gets, and the same table read back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from benchtrail.agents import (
    AcquireResultError,
    AcquireSignatureError,
    Bench,
    Experiment,
    InvalidMeasurement,
    MeasurementSession,
)
from benchtrail.agents.errors import InvalidParameter
from benchtrail.api import EventStore
from benchtrail.api.hub.embedded import Hub


def test_sweep_over_the_grid_reads_back_identical(running_hub: Hub, project: Path):
    with MeasurementSession(
        station="cell-7", name="psu line regulation", mock=True, hub=running_hub.nats.url
    ) as session:
        psu = session.instrument("psu")
        dmm = session.instrument("dmm")
        session.parameter("voltage", [1.0, 2.0, 3.0], unit="V", notes="supply setpoint")
        session.parameter("current", [0.1, 0.5], unit="A")

        @session.acquire(units={"v_measured": "V"})
        def measure(psu, dmm, voltage, current):
            psu.set(voltage=voltage, current_limit=current)
            psu.output(True)
            return {"v_measured": dmm.measure_voltage_dc()}

        experiment = session.run()
        assert psu is session.instruments["psu"] and dmm is session.instruments["dmm"]

    data = experiment.data
    assert data.columns == ["timestamp", "voltage", "current", "v_measured"]
    assert data.schema["timestamp"] == pl.Datetime("ns", "UTC")
    assert data.schema["v_measured"] == pl.Float64
    assert data.height == 6
    # The first parameter changes slowest.
    assert data["voltage"].to_list() == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    assert data["current"].to_list() == [0.1, 0.5] * 3
    assert data["timestamp"].is_sorted() and data["timestamp"].n_unique() == 6
    meta = experiment.metadata
    assert (meta.station_id, meta.name, meta.points, meta.outcome) == (
        "cell-7",
        "psu line regulation",
        6,
        "passed",
    )
    assert [(p.name, p.unit, p.values) for p in meta.parameters] == [
        ("voltage", "V", [1.0, 2.0, 3.0]),
        ("current", "A", [0.1, 0.5]),
    ]

    running_hub.wait_ingested()
    with EventStore(running_hub.api_url) as store:
        back = store.experiment(meta.run_id)
        run = store.run(meta.run_id)
    assert back.data.equals(experiment.data)
    assert back.data.schema == experiment.data.schema
    assert back.metadata.parameters == meta.parameters
    assert back.metadata.units == {"voltage": "V", "current": "A", "v_measured": "V"}
    assert (back.metadata.session_id, back.metadata.points) == (meta.session_id, 6)
    assert run.custom_metadata["experiment"] == "psu line regulation"
    assert [s.name for s in run.steps] == ["experiment"]


def test_results_of_every_kind_and_missing_keys_read_back_identical(
    running_hub: Hub, project: Path
):
    with MeasurementSession(
        "kinds", station="cell-7", mock=True, hub=running_hub.nats.url
    ) as session:
        session.parameter("code", [0, 1, 2, 3])
        session.parameter("mode", ["fast", "slow"])

        @session.acquire
        def classify(code, mode):
            result: dict[str, object] = {"count": code * 10, "ok": code % 2 == 0, "label": mode}
            if code != 2:  # a reading that is sometimes absent
                result["reading"] = code / 4
            return result

        experiment = session.run()

    data = experiment.data
    assert dict(data.schema) == {
        "timestamp": pl.Datetime("ns", "UTC"),
        "code": pl.Int64,
        "mode": pl.String,
        "count": pl.Int64,
        "ok": pl.Boolean,
        "label": pl.String,
        "reading": pl.Float64,
    }
    assert data["reading"].null_count() == 2
    running_hub.wait_ingested()
    with EventStore(running_hub.api_url) as store:
        back = store.experiment(experiment.metadata.run_id)
    assert back.data.equals(data)
    assert back.data.schema == data.schema


def test_unknown_argument_fails_before_anything_is_measured(running_hub: Hub, project: Path):
    with MeasurementSession(station="cell-7", mock=True, hub=running_hub.nats.url) as session:
        session.parameter("voltage", [1.0, 2.0])
        calls = []

        @session.acquire
        def measure(voltage, thermometer):
            calls.append(voltage)
            return {"t": 1.0}

        with pytest.raises(
            AcquireSignatureError, match=r"measure\(\) asks for argument 'thermometer'"
        ):
            session.run()
        assert calls == []


def test_non_mapping_result_names_the_function(running_hub: Hub, project: Path):
    with MeasurementSession(station="cell-7", mock=True, hub=running_hub.nats.url) as session:
        session.parameter("voltage", [1.0, 2.0])

        @session.acquire
        def read_back(voltage):
            return voltage * 2

        with pytest.raises(AcquireResultError, match=r"read_back\(\).*returned float 2.0"):
            session.run()

        def annotated(voltage) -> float:
            return voltage

        with pytest.raises(AcquireResultError, match=r"annotated.*returns a mapping"):
            session.acquire(annotated)


def test_bad_parameters_and_values_are_refused(running_hub: Hub, project: Path):
    with MeasurementSession(station="cell-7", mock=True, hub=running_hub.nats.url) as session:
        with pytest.raises(InvalidParameter, match="has no values"):
            session.parameter("voltage", [])
        with pytest.raises(InvalidParameter, match="must be finite"):
            session.parameter("voltage", [1.0, float("nan")])
        with pytest.raises(InvalidParameter, match="Python identifier"):
            session.parameter("supply voltage", [1.0])
        session.parameter("voltage", [1.0, 2.0])

        @session.acquire
        def measure(voltage):
            return {"v": float("inf") if voltage == 2.0 else voltage}

        with pytest.raises(InvalidMeasurement, match=r"'v'.*finite"):
            session.run()
        # The failing point recorded nothing: the experiment holds the good point only.
    running_hub.wait_ingested()
    warehouse = running_hub.warehouse
    assert warehouse is not None
    rows = warehouse.rows(
        f"SELECT name, value FROM {warehouse.database}.measurements FINAL"
        " WHERE step = 'experiment' ORDER BY ts, name"
    )
    assert [(r["name"], r["value"]) for r in rows] == [("v", 1.0), ("voltage", 1.0)]


def test_save_and_load_keep_data_and_metadata(running_hub: Hub, project: Path, tmp_path: Path):
    with MeasurementSession(station="cell-7", mock=True, hub=running_hub.nats.url) as session:
        session.parameter("n", range(5))
        session.acquire(lambda n: {"square": n * n})
        session.record("operator_note", "cable re-seated")
        experiment = session.run()
    for name in ("x.parquet", "x.arrow"):
        loaded = Experiment.load(experiment.save(tmp_path / name))
        assert loaded.data.equals(experiment.data)
        assert loaded.metadata == experiment.metadata
    experiment.save(tmp_path / "x.csv")
    assert (tmp_path / "x.csv").read_text().splitlines()[0] == "timestamp,n,square"
    assert experiment.to_arrow().num_rows == 5


def test_progress_bar_shows_points_and_rate(
    running_hub: Hub, project: Path, capsys: pytest.CaptureFixture[str]
):
    with MeasurementSession(
        station="cell-7", mock=True, hub=running_hub.nats.url, progress=True
    ) as session:
        session.parameter("n", range(50))
        session.acquire(lambda n: {"twice": 2 * n})
        session.run(name="quick sweep")
    shown = capsys.readouterr().err
    assert "quick sweep" in shown and "50/50" in shown and "points/s" in shown


def test_several_acquire_functions_async_and_numpy_values(running_hub: Hub, project: Path):
    with MeasurementSession(station="cell-7", mock=True, hub=running_hub.nats.url) as session:
        session.parameter("n", np.arange(3))  # numpy integers become Python ints

        @session.acquire(units={"doubled": "V"})
        async def doubled(n):
            return {"doubled": np.float64(n) * 2}

        @session.acquire
        def counted(n):
            return {"count": np.int64(n) + 1, "even": np.bool_(n % 2 == 0)}

        experiment = session.run()

        @session.acquire
        def clash(n):
            return {"count": 0}

        with pytest.raises(AcquireResultError, match=r"clash\(\).*'count' was already returned"):
            session.run()

    assert experiment.data.drop("timestamp").to_dicts() == [
        {"n": 0, "doubled": 0.0, "count": 1, "even": True},
        {"n": 1, "doubled": 2.0, "count": 2, "even": False},
        {"n": 2, "doubled": 4.0, "count": 3, "even": True},
    ]
    running_hub.wait_ingested()
    with EventStore(running_hub.api_url) as store:
        back = store.experiment(experiment.metadata.run_id)
    assert back.data.equals(experiment.data)
    assert back.metadata.units == {"doubled": "V"}


def test_a_python_hook_of_a_bench_gets_the_session(
    running_hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "lab_hooks.py").write_text(
        "def stamp(session):\n    session.record('bench_opened_by_hook', True)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    bench_file = tmp_path / "bench.yaml"
    bench_file.write_text(
        "bench: hooked\nstation: {id: cell-9}\nsimulate: true\n"
        "instruments:\n  dmm: {resource: 'TCPIP::10.0.0.5::INSTR', driver: dmm}\n"
        "automation:\n  pre_experiment: [{python: 'lab_hooks:stamp'}]\n"
    )
    with MeasurementSession(bench=Bench.open(bench_file), hub=running_hub.nats.url) as session:
        assert session.records == {"bench_opened_by_hook": [True]}
        assert session.station.station_id == "cell-9"

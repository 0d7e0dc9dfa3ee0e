"""A DUT's history: every run of a serial across stations, with attempts and failures."""

from __future__ import annotations

import io

import httpx
import msgspec
import polars as pl
import pyarrow as pa
import pytest
from click.testing import CliRunner

from benchtrail.api import EventStore, NotFound
from benchtrail.cli import main

from .tables import same_as_json


def test_history_lists_every_run_of_the_serial_in_time_order(history_store: EventStore) -> None:
    history = history_store.dut("SN-H1")
    assert history.dut_serial == "SN-H1"
    assert (history.run_count, history.truncated) == (4, False)
    rows = [
        (r.run_id, r.station_id, r.test_phase, r.attempt, r.status, r.outcome) for r in history.runs
    ]
    assert rows == [
        ("run-h1", "ict-1", "ict", 1, "ended", "failed"),
        ("run-h3", "ict-2", "ict", 2, "ended", "passed"),
        ("run-h4", "fct-1", "functional", 1, "ended", "failed"),
        ("run-h5", "fct-1", "functional", 2, "running", None),
    ]
    starts = [r.started_at_ns for r in history.runs]
    assert starts == sorted(starts)


def test_history_shows_what_failed_with_values_limits_units_and_steps(
    history_store: EventStore,
) -> None:
    first, retest, functional, _ = history_store.dut("SN-H1").runs
    failures = [
        (f.name, f.value, f.value_str, f.low, f.high, f.unit, f.step)
        for f in first.failed_measurements
    ]
    assert failures == [
        ("vout", 4.9, "", 5.0, 5.5, "V", "rails"),
        ("fw", None, "0.9", None, None, "", "boot"),
    ]
    assert retest.failed_measurements == []
    assert [f.value for f in functional.failed_measurements] == [0.5, 0.7, 0.9]
    assert functional.failed_measurement_count == 3
    assert functional.failed_measurements[0].ts_ns < functional.failed_measurements[1].ts_ns


def test_failed_limit_keeps_the_first_failures_and_the_total(history_store: EventStore) -> None:
    functional = history_store.dut("SN-H1", failed_limit=2).runs[2]
    assert [f.value for f in functional.failed_measurements] == [0.5, 0.7]
    assert functional.failed_measurement_count == 3


def test_filters_keep_the_attempt_numbers_of_the_whole_history(
    history_store: EventStore,
) -> None:
    functional = history_store.dut("SN-H1", test_phase="functional")
    assert [(r.run_id, r.attempt) for r in functional.runs] == [("run-h4", 1), ("run-h5", 2)]
    assert functional.run_count == 2
    on_ict_2 = history_store.dut("SN-H1", station_id="ict-2")
    assert [(r.run_id, r.attempt) for r in on_ict_2.runs] == [("run-h3", 2)]
    newest = history_store.dut("SN-H1", limit=1)
    assert [r.run_id for r in newest.runs] == ["run-h5"]
    assert (newest.run_count, newest.truncated) == (4, True)


def test_unknown_serial_is_a_404(history_url: str, history_store: EventStore) -> None:
    response = httpx.get(f"{history_url}/api/duts/SN-NOPE")
    assert response.status_code == 404
    assert response.json() == {
        "status_code": 404,
        "error": "not_found",
        "detail": "dut 'SN-NOPE' not found",
        "kind": "dut",
        "key": "SN-NOPE",
    }
    with pytest.raises(NotFound, match="dut 'a/b' not found"):
        history_store.dut("a/b")


def test_history_as_a_table_one_row_per_run(history_url: str, history_store: EventStore) -> None:
    response = httpx.get(f"{history_url}/api/duts/SN-H1", params={"format": "parquet"})
    frame = pl.read_parquet(io.BytesIO(response.content))
    assert frame["run_id"].to_list() == ["run-h1", "run-h3", "run-h4", "run-h5"]
    assert frame["attempt"].to_list() == [1, 2, 1, 2]
    failed = msgspec.json.decode(frame["failed_measurements"][0])
    assert [(f["name"], f["value"], f["low"], f["high"]) for f in failed] == [
        ("vout", 4.9, 5.0, 5.5),
        ("fw", None, None, None),
    ]
    direct = history_store.dut("SN-H1", as_polars=True)
    assert direct["run_id"].to_list() == frame["run_id"].to_list()


def test_cli_shows_the_history(history_url: str) -> None:
    runner = CliRunner(env={"COLUMNS": "200"})
    result = runner.invoke(main, ["dut", "SN-H1", "--api", history_url])
    assert result.exit_code == 0, result.output
    for text in ("ict-1", "ict-2", "fct-1", "functional", "vout = 4.9 V", "limits [5, 5.5]"):
        assert text in result.output
    lines = result.output.splitlines()
    h1 = next(i for i, line in enumerate(lines) if "ict-1" in line)
    h3 = next(i for i, line in enumerate(lines) if "ict-2" in line)
    assert h1 < h3
    missing = runner.invoke(main, ["dut", "SN-NOPE", "--api", history_url])
    assert missing.exit_code == 1
    assert "dut 'SN-NOPE' not found" in missing.output


def test_history_table_rows_are_the_json_runs_field_by_field(history_url: str) -> None:
    url = f"{history_url}/api/duts/SN-H1"
    runs = httpx.get(url).json()["runs"]
    response = httpx.get(url, params={"format": "arrow"})
    rows = pa.ipc.open_stream(response.content).read_all().to_pylist()
    assert [row["status"] for row in rows] == ["ended", "ended", "ended", "running"]
    for run, row in zip(runs, rows, strict=True):
        failed = msgspec.json.decode(row.pop("failed_measurements"))
        assert [(f["name"], f["ts_ns"]) for f in failed] == [
            (f["name"], f["ts_ns"]) for f in run.pop("failed_measurements")
        ]
        same_as_json(run, row)

"""``benchtrail export``: streamed page by page from the API into Parquet, CSV or Arrow files."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from benchtrail.api import EventStore, RunSummary, SessionSummary
from benchtrail.api.http import create_app
from benchtrail.api.http.routes.export import EXPORT_PAGE_ROWS
from benchtrail.api.models.entities import MeasurementRow
from benchtrail.api.queries import measurements as measurement_queries
from benchtrail.api.queries._sql import TablePage
from benchtrail.cli import main
from benchtrail.projector import Warehouse, open_warehouse

from .conftest import serve
from .seed import (
    SERIES_POINTS,
    SERIES_STEP_NS,
    SERIES_T0,
    history_sessions,
    series_values,
    write_events,
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server reads 1000 points (2 runs, 2 sessions) per page: exports cross pages."""
    monkeypatch.setitem(EXPORT_PAGE_ROWS, "measurements", 1000)
    monkeypatch.setitem(EXPORT_PAGE_ROWS, "runs", 2)
    monkeypatch.setitem(EXPORT_PAGE_ROWS, "sessions", 2)


def export(runner: CliRunner, url: str, *args: str) -> str:
    result = runner.invoke(main, ["export", *args, "--api", url])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.usefixtures("small_pages")
def test_measurements_to_parquet_across_many_pages(
    runner: CliRunner, history_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "vout.parquet"
    output = export(runner, history_url, "measurements", "--station", "cell-s", "-o", str(path))
    assert f"wrote {SERIES_POINTS + 1:,} measurements rows to {path}" in output
    assert pq.ParquetFile(path).metadata.num_row_groups > 1  # written page by page
    frame = pl.read_parquet(path)
    assert frame.columns == list(MeasurementRow.__struct_fields__)
    numbers = frame.filter(pl.col("value").is_not_null()).sort("ts_ns")
    assert numbers["value"].to_list() == series_values()
    assert numbers["ts_ns"].to_list() == [
        SERIES_T0 + i * SERIES_STEP_NS for i in range(SERIES_POINTS)
    ]
    assert frame.select("event_id", "point_index").is_unique().all()
    assert frame.filter(pl.col("value").is_null())["value_str"].to_list() == ["n/a"]


@pytest.mark.usefixtures("small_pages")
def test_runs_to_csv_with_filters(
    runner: CliRunner, history_url: str, history_store: EventStore, tmp_path: Path
) -> None:
    path = tmp_path / "runs.csv"
    export(runner, history_url, "runs", "--dut", "SN-H1", "--since", "2024-05-01", "-o", str(path))
    frame = pl.read_csv(path)
    assert frame.columns == list(RunSummary.__struct_fields__)
    listed = history_store.runs(dut_serial="SN-H1", limit=None)
    assert frame["run_id"].to_list() == [run.run_id for run in listed]
    assert frame["channel_refs"].to_list() == ["[]"] * len(listed)
    assert set(frame["station_id"]) == {"ict-1", "ict-2", "fct-1"}


@pytest.mark.usefixtures("small_pages")
def test_sessions_to_arrow(runner: CliRunner, history_url: str, tmp_path: Path) -> None:
    path = tmp_path / "sessions.arrow"
    export(runner, history_url, "sessions", "--operator", "op-h", "-o", str(path))
    frame = pl.read_ipc(path)
    assert frame.columns == list(SessionSummary.__struct_fields__)
    assert sorted(frame["station_id"]) == ["fct-1", "ict-1"]
    assert frame.schema["device_ids"] == pl.List(pl.String)


def test_format_option_wins_over_the_suffix(
    runner: CliRunner, history_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "runs.data"
    export(runner, history_url, "runs", "--format", "parquet", "-o", str(path))
    assert pl.read_parquet(path).height == 7


def test_client_streams_record_batches(history_store: EventStore, small_pages: None) -> None:
    reader = history_store.export("measurements", station_id="cell-s", name="vout")
    assert reader.schema.names == list(MeasurementRow.__struct_fields__)
    sizes = [batch.num_rows for batch in reader]
    assert len(sizes) > 10
    assert sum(sizes) == SERIES_POINTS + 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["runs", "-o", "runs.txt"], "cannot tell the format from 'runs.txt'"),
        (["runs", "--name", "vout", "-o", "r.csv"], "--name: not a filter of runs"),
        (["sessions", "--outcome", "failed", "-o", "s.csv"], "--outcome: not a filter of sessions"),
        (["runs", "--since", "last week", "-o", "r.csv"], "parameter 'since'"),
        (["runs", "--outcome", "meh", "-o", "r.csv"], "parameter 'outcome'"),
    ],
)
def test_bad_requests_write_no_file(
    runner: CliRunner, history_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    *options, _, name = args
    target = tmp_path / name
    result = runner.invoke(main, ["export", *options, "-o", str(target), "--api", history_url])
    assert result.exit_code != 0
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def doomed(chdb_path: Path) -> Iterator[Warehouse]:
    """A database of this test's own holding the long series, to break mid-export."""
    database = f"bt_doomed_{uuid.uuid4().hex[:12]}"
    warehouse = open_warehouse(chdb_path, database=database)
    write_events(warehouse, history_sessions())
    try:
        yield warehouse
    finally:
        warehouse.command(f"DROP DATABASE IF EXISTS {database}")


def test_a_broken_stream_fails_and_leaves_no_file(
    runner: CliRunner,
    doomed: Warehouse,
    tmp_path: Path,
    small_pages: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pages = 0
    read_page = measurement_queries.measurements_table

    def table_dropped_after_two_pages(*args: Any, **kwargs: Any) -> TablePage:
        nonlocal pages
        pages += 1
        if pages == 3:
            doomed.command(f"DROP TABLE {doomed.database}.measurements")
        return read_page(*args, **kwargs)

    monkeypatch.setattr(measurement_queries, "measurements_table", table_dropped_after_two_pages)
    path = tmp_path / "points.parquet"
    for url in serve(create_app(doomed)):
        result = runner.invoke(main, ["export", "measurements", "-o", str(path), "--api", url])
    assert result.exit_code == 1
    assert "the export broke off" in result.output
    assert list(tmp_path.iterdir()) == []

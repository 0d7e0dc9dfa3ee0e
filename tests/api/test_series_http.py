"""Series for charts: per-bucket count/min/max/avg computed by the warehouse, never raw points."""

from __future__ import annotations

import math

import httpx
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchtrail.api import BadParameter, EventStore
from benchtrail.api.queries.series import MAX_BUCKETS, SeriesFilters, bucket_width, series_sql
from benchtrail.projector import Warehouse

from .seed import SERIES_POINTS, SERIES_STEP_NS, SERIES_T0, series_values

SPAN = SERIES_POINTS * SERIES_STEP_NS


def expected_buckets(width: int) -> pl.DataFrame:
    """The series' points grouped by hand into buckets aligned on ``width``."""
    points = pl.DataFrame(
        {
            "ts": [SERIES_T0 + i * SERIES_STEP_NS for i in range(SERIES_POINTS)],
            "value": series_values(),
        }
    )
    return (
        points.group_by((pl.col("ts") // width * width).alias("start_ns"))
        .agg(
            pl.len().alias("count"),
            pl.col("value").min().alias("min"),
            pl.col("value").max().alias("max"),
            pl.col("value").mean().alias("avg"),
        )
        .sort("start_ns")
    )


def test_buckets_hold_the_statistics_of_their_points(history_store: EventStore) -> None:
    series = history_store.series(
        "vout", station_id="cell-s", since=SERIES_T0, until=SERIES_T0 + SPAN, buckets=100
    )
    assert len(series) == 100
    width = SPAN // 100
    assert all(b.end_ns - b.start_ns == width for b in series)
    expected = expected_buckets(width)
    assert [b.start_ns for b in series] == expected["start_ns"].to_list()
    assert [b.count for b in series] == expected["count"].to_list() == [100] * 100
    assert [b.min for b in series] == expected["min"].to_list()
    assert [b.max for b in series] == expected["max"].to_list()
    for got, want in zip([b.avg for b in series], expected["avg"], strict=True):
        assert math.isclose(got, want, rel_tol=1e-12)


def test_buckets_are_aligned_and_never_more_than_asked(history_store: EventStore) -> None:
    series = history_store.series("vout", station_id="cell-s", buckets=7)
    assert 0 < len(series) <= 7
    width = series[0].end_ns - series[0].start_ns
    assert width == 2 * 10**9
    assert all(b.start_ns % width == 0 for b in series)
    assert sum(b.count for b in series) == SERIES_POINTS
    assert min(b.min for b in series) == min(series_values())
    assert max(b.max for b in series) == max(series_values())


def test_text_values_and_other_stations_are_left_out(history_store: EventStore) -> None:
    one_station = history_store.series("vout", station_id="cell-s", buckets=1)
    assert [b.count for b in one_station] == [SERIES_POINTS]
    everywhere = history_store.series("vout", buckets=1)
    assert sum(b.count for b in everywhere) == SERIES_POINTS + 3  # ict-1, ict-2, cell-s2
    assert max(b.max for b in everywhere) == 1000.0
    by_dut = history_store.series("vout", dut_serial="SN-S2", buckets=1)
    assert [(b.count, b.max) for b in by_dut] == [(1, 1000.0)]
    by_run = history_store.series("vout", run_id="run-s1", buckets=1)
    assert [b.count for b in by_run] == [SERIES_POINTS]


def test_nothing_matching_is_an_empty_series(history_url: str) -> None:
    body = httpx.get(f"{history_url}/api/measurements/series", params={"name": "nope"}).json()
    assert (body["items"], body["bucket_ns"]) == ([], None)


def test_series_as_a_table(history_url: str, history_store: EventStore) -> None:
    response = httpx.get(
        f"{history_url}/api/measurements/series",
        params={"name": "vout", "station_id": "cell-s", "buckets": 10, "format": "csv"},
    )
    assert response.headers["X-Bucket-Ns"] == str(10**9)
    frame = history_store.series("vout", station_id="cell-s", buckets=10, as_polars=True)
    assert frame.columns == ["start", "start_ns", "end_ns", "count", "min", "max", "avg"]
    assert frame["count"].to_list() == [1000] * 10
    assert response.text.splitlines()[0] == '"start","start_ns","end_ns","count","min","max","avg"'
    assert len(response.text.splitlines()) == 11


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"buckets": "0"}, "buckets"),
        ({"buckets": str(MAX_BUCKETS + 1)}, "buckets"),
        ({"buckets": "many"}, "buckets"),
        ({"since": "2024-05-02", "until": "2024-05-01"}, "until"),
        ({"since": "soon"}, "since"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(
    history_url: str, params: dict[str, str], parameter: str
) -> None:
    response = httpx.get(
        f"{history_url}/api/measurements/series", params={"name": "vout", **params}
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["error"], body["parameter"]) == ("bad_parameter", parameter)


def test_missing_name_is_a_400_naming_it(history_url: str, history_store: EventStore) -> None:
    response = httpx.get(f"{history_url}/api/measurements/series")
    assert response.status_code == 400
    assert response.json()["parameter"] == "name"
    with pytest.raises(BadParameter, match="'buckets'"):
        history_store.series("vout", buckets=0)


@given(
    since=st.integers(0, 2**62),
    span=st.integers(1, 2**60),
    buckets=st.integers(1, MAX_BUCKETS),
)
def test_bucket_width_fits_the_range_in_at_most_the_buckets_asked(
    since: int, span: int, buckets: int
) -> None:
    until = since + span
    width = bucket_width(since, until, buckets)
    assert width * buckets >= span
    assert (until - 1) // width - since // width + 1 <= buckets
    digits = str(width).rstrip("0")
    assert digits in {"1", "2", "5"}


def test_series_reads_by_the_measurements_sort_key(history: Warehouse) -> None:
    filters = SeriesFilters(name="vout", station_id="cell-s")
    sql, parameters = series_sql(history, filters, SERIES_T0, SERIES_T0 + SPAN, 10**8)
    plan = "\n".join(
        str(row["explain"]) for row in history.rows(f"EXPLAIN indexes = 1 {sql}", parameters)
    )
    primary_key = plan[plan.index("PrimaryKey") :]
    condition = next(line for line in primary_key.splitlines() if "Condition:" in line)
    for part in ("station_id in ['cell-s', 'cell-s']", "name in ['vout', 'vout']", "ts in"):
        assert part in condition, plan

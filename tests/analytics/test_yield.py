"""Yield, first-pass yield and retests of the constructed runs (see dataset.py), by hand."""

from __future__ import annotations

import httpx
import pytest

from benchtrail.api import EventStore
from benchtrail.api.models.analytics import YieldRow
from benchtrail.api.queries import analytics
from benchtrail.projector import Warehouse

from .dataset import MAY_1, H

ANY = analytics.AnalyticsFilters()


def _grouping(*dimensions: str, **options: object) -> analytics.Grouping:
    parsed = analytics.parse_group_by(",".join(dimensions))
    return analytics.Grouping(dimensions=parsed, **options)  # type: ignore[arg-type]


def _outcomes(rows: list[YieldRow], key: str) -> dict[object, tuple[int, ...]]:
    return {
        getattr(row, key): (row.runs, row.passed, row.failed, row.error, row.aborted, row.running)
        for row in rows
    }


def test_overall_yield_leaves_aborted_and_running_runs_out(factory: Warehouse) -> None:
    (row,) = analytics.run_yield(factory, ANY, _grouping())
    assert (row.runs, row.passed, row.failed, row.error, row.aborted, row.running) == (
        12,
        6,
        3,
        1,
        1,
        1,
    )
    assert row.yield_rate == pytest.approx(6 / 10)
    assert row.station_id is None and row.day is None


def test_yield_by_station(factory: Warehouse) -> None:
    rows = analytics.run_yield(factory, ANY, _grouping("station"))
    assert _outcomes(rows, "station_id") == {
        "st-a": (7, 3, 2, 1, 1, 0),
        "st-b": (5, 3, 1, 0, 0, 1),
    }
    assert [row.yield_rate for row in rows] == pytest.approx([3 / 6, 3 / 4])


def test_yield_by_part_and_phase_and_fixture(factory: Warehouse) -> None:
    by_part = analytics.run_yield(factory, ANY, _grouping("part", "test_phase"))
    assert {(r.part_number, r.test_phase): (r.runs, r.passed) for r in by_part} == {
        ("P1", "final"): (1, 1),
        ("P1", "ict"): (6, 3),
        ("P2", "ict"): (5, 2),
    }
    by_product = analytics.run_yield(factory, ANY, _grouping("product"))
    assert {r.product_id: r.runs for r in by_product} == {"prod-1": 7, "prod-2": 5}
    by_fixture = analytics.run_yield(factory, ANY, _grouping("fixture"))
    assert _outcomes(by_fixture, "fixture_id") == {
        "fx-1": (6, 3, 2, 1, 0, 0),
        "fx-2": (6, 3, 1, 0, 1, 1),
    }


def test_yield_by_production_day_and_shift(factory: Warehouse) -> None:
    rows = analytics.run_yield(factory, ANY, _grouping("day", "shift"))
    assert {
        (r.day, r.shift): (r.runs, r.passed, r.failed, r.error, r.aborted, r.running) for r in rows
    } == {
        ("2024-04-30", "22-06"): (1, 1, 0, 0, 0, 0),  # 05:00 belongs to the night before
        ("2024-05-01", "06-14"): (2, 1, 1, 0, 0, 0),  # 07:00 and 13:59
        ("2024-05-01", "14-22"): (2, 0, 1, 1, 0, 0),  # 14:00 starts the next shift
        ("2024-05-01", "22-06"): (2, 2, 0, 0, 0, 0),  # 22:30 and 03:00 on 2 May
        ("2024-05-02", "06-14"): (5, 2, 1, 0, 1, 1),
    }
    assert [(r.day, r.shift) for r in rows] == sorted((r.day, r.shift) for r in rows)


def test_days_and_shifts_follow_the_time_zone(factory: Warehouse) -> None:
    rows = analytics.run_yield(factory, ANY, _grouping("day", "shift", tz="Europe/Berlin"))
    assert {(r.day, r.shift): r.runs for r in rows} == {  # UTC+2 in May
        ("2024-05-01", "06-14"): 2,
        ("2024-05-01", "14-22"): 2,
        ("2024-05-01", "22-06"): 3,
        ("2024-05-02", "06-14"): 4,
        ("2024-05-02", "14-22"): 1,
    }


def test_custom_shifts_and_calendar_days(factory: Warehouse) -> None:
    one_shift = analytics.run_yield(factory, ANY, _grouping("day", "shift", shift_starts=(0,)))
    assert {(r.day, r.shift): r.runs for r in one_shift} == {
        ("2024-05-01", "00-00"): 6,
        ("2024-05-02", "00-00"): 6,
    }
    two = analytics.run_yield(factory, ANY, _grouping("shift", shift_starts=(8, 20)))
    assert {r.shift: r.runs for r in two} == {"08-20": 7, "20-08": 5}


def test_first_pass_yield_and_retests(factory: Warehouse) -> None:
    (row,) = analytics.first_pass_yield(factory, ANY, _grouping())
    # DUT-phases: SN1/ict, SN2-P1/ict, SN3/ict, SN1/final, SN4/ict (after an abort), SN2-P2/ict
    assert (row.duts, row.first_pass, row.retests, row.retested_duts, row.runs) == (6, 3, 3, 2, 9)
    assert row.first_pass_yield == pytest.approx(0.5)


def test_first_pass_yield_by_station_counts_duts_where_they_were_first_tested(
    factory: Warehouse,
) -> None:
    rows = analytics.first_pass_yield(factory, ANY, _grouping("station"))
    got = {r.station_id: (r.duts, r.first_pass, r.retests, r.retested_duts, r.runs) for r in rows}
    assert got == {"st-a": (4, 2, 1, 1, 5), "st-b": (2, 1, 2, 1, 4)}


def test_first_pass_yield_by_test_phase(factory: Warehouse) -> None:
    rows = analytics.first_pass_yield(factory, ANY, _grouping("test_phase"))
    got = {r.test_phase: (r.duts, r.first_pass, r.retests) for r in rows}
    assert got == {"final": (1, 1, 0), "ict": (5, 2, 3)}


def test_first_run_is_the_first_in_the_time_range(factory: Warehouse) -> None:
    since_r03 = analytics.AnalyticsFilters(since_ns=MAY_1 + 13 * H)
    (row,) = analytics.first_pass_yield(factory, since_r03, _grouping())
    # SN1/ict (r01) and SN2's failure (r02) are before: SN2-P1's first run is now r03.
    assert (row.duts, row.first_pass, row.retests) == (5, 3, 2)
    (runs,) = analytics.run_yield(factory, since_r03, _grouping())
    assert runs.runs == 10


def test_filters_narrow_the_runs(factory: Warehouse) -> None:
    part = analytics.AnalyticsFilters(part_number="P2", station_id="st-a")
    (row,) = analytics.run_yield(factory, part, _grouping())
    assert (row.runs, row.passed, row.aborted) == (3, 2, 1)
    phase = analytics.AnalyticsFilters(test_phase="final", fixture_id="fx-2", product_id="prod-1")
    (row,) = analytics.first_pass_yield(factory, phase, _grouping())
    assert (row.duts, row.first_pass) == (1, 1)
    nothing = analytics.AnalyticsFilters(station_id="st-z")
    (empty,) = analytics.run_yield(factory, nothing, _grouping())
    assert (empty.runs, empty.yield_rate) == (0, None)
    assert analytics.run_yield(factory, nothing, _grouping("station")) == []


def test_yield_over_http_and_the_client(factory: Warehouse, analytics_url: str) -> None:
    body = httpx.get(
        f"{analytics_url}/api/analytics/yield", params={"group_by": "day,shift"}
    ).json()
    direct = analytics.run_yield(factory, ANY, _grouping("day", "shift"))
    assert [(r["day"], r["shift"], r["runs"], r["passed"], r["yield_rate"]) for r in body] == [
        (r.day, r.shift, r.runs, r.passed, r.yield_rate) for r in direct
    ]
    with EventStore(analytics_url) as store:
        rows = store.yields(group_by="station", since=MAY_1, until=MAY_1 + 48 * H)
        frame = rows.to_polars()
    assert frame["station_id"].to_list() == ["st-a", "st-b"]
    assert frame["yield_rate"].to_list() == pytest.approx([0.5, 0.75])


def test_first_pass_yield_over_http_and_the_client(analytics_url: str) -> None:
    body = httpx.get(
        f"{analytics_url}/api/analytics/first-pass-yield",
        params={"group_by": "station", "since": "2024-05-01T13:00:00Z"},
    ).json()
    # From 13:00 the first runs are r04 (SN3, error) and r09 (SN4) on st-a;
    # r03 (SN2-P1), r07 (SN1 final) and r11 (SN2-P2, failed) on st-b.
    assert {r["station_id"]: (r["duts"], r["first_pass"]) for r in body} == {
        "st-a": (2, 1),
        "st-b": (3, 2),
    }
    with EventStore(analytics_url) as store:
        (row,) = store.first_pass_yield(test_phase="ict", part_number="P1")
    assert (row.duts, row.first_pass, row.retests, row.retested_duts) == (3, 1, 3, 2)

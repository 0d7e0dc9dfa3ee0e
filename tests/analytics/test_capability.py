"""Capability indices and histograms against numpy on the same points (see dataset.py)."""

from __future__ import annotations

import statistics

import httpx
import numpy as np
import pytest

from benchtrail.api import EventStore
from benchtrail.api.models.analytics import CapabilityRow
from benchtrail.api.queries import analytics
from benchtrail.projector import Warehouse

from . import dataset

ANY = analytics.AnalyticsFilters()
D2 = 1.128


def expected(values: list[float], low: float | None, high: float | None) -> dict[str, float | None]:
    """Every index computed independently, the points in time order."""
    x = np.array(values)
    mean = float(x.mean())
    overall = statistics.stdev(values)
    within = float(np.abs(np.diff(x)).mean()) / D2
    out: dict[str, float | None] = {
        "n": len(values),
        "mean": mean,
        "sigma_overall": overall,
        "sigma_within": within,
    }
    for prefix, sigma in (("c", within), ("p", overall)):
        upper = (high - mean) / (3 * sigma) if high is not None else None
        lower = (mean - low) / (3 * sigma) if low is not None else None
        out[f"{prefix}pu"] = upper
        out[f"{prefix}pl"] = lower
        out[f"{prefix}pk"] = min(v for v in (upper, lower) if v is not None)
        out[f"{prefix}p"] = (
            (high - low) / (6 * sigma) if low is not None and high is not None else None
        )
    return out


def _check(row: CapabilityRow, want: dict[str, float | None]) -> None:
    got = {
        "n": row.n,
        "mean": row.mean,
        "sigma_overall": row.sigma_overall,
        "sigma_within": row.sigma_within,
        "cp": row.cp, "cpk": row.cpk, "cpu": row.cpu, "cpl": row.cpl,
        "pp": row.pp, "ppk": row.ppk, "ppu": row.ppu, "ppl": row.ppl,
    }  # fmt: skip
    for name, value in want.items():
        if value is None:
            assert got[name] is None, name
        else:
            assert got[name] == pytest.approx(value, rel=1e-9), name


def test_capability_per_set_of_limits(factory: Warehouse) -> None:
    rows = analytics.capability(factory, "cap_v", ANY)
    assert [(r.low, r.high, r.n) for r in rows] == [(4.9, 5.1, 40), (4.8, 5.2, 10)]
    narrow = dataset.CAP_ST_A + dataset.CAP_ST_B  # r01 (1 May 05:00) before r03 (13:59)
    _check(rows[0], expected(narrow, dataset.CAP_LOW, dataset.CAP_HIGH))
    _check(rows[1], expected(dataset.CAP_WIDE, dataset.CAP_WIDE_LOW, dataset.CAP_WIDE_HIGH))
    assert rows[0].min == min(narrow) and rows[0].max == max(narrow)
    assert rows[0].unit == "V" and rows[0].station_id is None


def test_one_sided_limit_gives_the_upper_indices_only(factory: Warehouse) -> None:
    (row,) = analytics.capability(factory, "cap_hi", ANY)
    want = expected(dataset.CAP_HI, None, dataset.CAP_HI_HIGH)
    _check(row, want)
    assert row.cp is None and row.cpl is None and row.pp is None and row.ppl is None
    assert row.cpk == row.cpu and row.ppk == row.ppu


def test_capability_by_station_and_filtered(factory: Warehouse) -> None:
    rows = analytics.capability(factory, "cap_v", ANY, group_by="station")
    by_station = {(r.station_id, r.low): r for r in rows}
    _check(by_station["st-a", 4.9], expected(dataset.CAP_ST_A, 4.9, 5.1))
    _check(by_station["st-b", 4.9], expected(dataset.CAP_ST_B, 4.9, 5.1))
    _check(by_station["st-b", 4.8], expected(dataset.CAP_WIDE, 4.8, 5.2))
    st_b = analytics.AnalyticsFilters(station_id="st-b", part_number="P1")
    assert [(r.low, r.n) for r in analytics.capability(factory, "cap_v", st_b)] == [
        (4.9, 15),
        (4.8, 10),
    ]
    assert analytics.capability(factory, "no-such-measurement", ANY) == []


def test_histogram_counts_match_numpy(factory: Warehouse) -> None:
    values = dataset.CAP_ST_A + dataset.CAP_ST_B + dataset.CAP_WIDE + dataset.CAP_UNLIMITED
    histogram = analytics.histogram(factory, "cap_v", ANY, bins=12)
    counts, edges = np.histogram(values, bins=12)
    assert [b.count for b in histogram.bins] == counts.tolist()
    assert [b.lower for b in histogram.bins] == pytest.approx(edges[:-1].tolist())
    assert histogram.bins[-1].upper == max(values)
    assert (histogram.n, histogram.min, histogram.max) == (len(values), min(values), max(values))
    assert histogram.mean == pytest.approx(np.mean(values))
    assert histogram.sigma == pytest.approx(statistics.stdev(values))
    # the latest points with limits are r06's (r07's have none)
    assert (histogram.low, histogram.high) == (dataset.CAP_WIDE_LOW, dataset.CAP_WIDE_HIGH)


def test_histogram_of_one_value_and_of_nothing(factory: Warehouse) -> None:
    one = analytics.histogram(factory, "temp", ANY, bins=10)
    assert [(b.lower, b.upper, b.count) for b in one.bins] == [(25.0, 25.0, 12)]
    assert (one.low, one.high) == (0.0, 60.0)
    none = analytics.histogram(factory, "no-such-measurement", ANY)
    assert (none.n, none.bins, none.min, none.low) == (0, [], None, None)


def test_histogram_of_points_without_limits_has_the_newest_point_s_unit(
    factory: Warehouse,
) -> None:
    spc = analytics.histogram(factory, "spc_x", ANY, bins=5)
    assert (spc.n, spc.unit, spc.low, spc.high) == (len(dataset.SPC), "V", None, None)


def test_capability_and_histogram_over_http_and_the_client(
    factory: Warehouse, analytics_url: str
) -> None:
    body = httpx.get(f"{analytics_url}/api/analytics/capability", params={"name": "cap_v"}).json()
    direct = analytics.capability(factory, "cap_v", ANY)
    assert [(r["n"], r["cp"], r["cpk"], r["pp"], r["ppk"]) for r in body] == [
        (r.n, r.cp, r.cpk, r.pp, r.ppk) for r in direct
    ]
    with EventStore(analytics_url) as store:
        by_station = store.capability("cap_v", by_station=True, station_id="st-a").to_polars()
        histogram = store.histogram("cap_v", bins=12)
    assert by_station["n"].to_list() == [25]
    assert by_station["cpk"][0] == pytest.approx(expected(dataset.CAP_ST_A, 4.9, 5.1)["cpk"])
    values = dataset.CAP_ST_A + dataset.CAP_ST_B + dataset.CAP_WIDE + dataset.CAP_UNLIMITED
    assert histogram.to_polars()["count"].to_list() == np.histogram(values, 12)[0].tolist()

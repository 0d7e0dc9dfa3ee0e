"""Pareto of failing measurements and steps of the constructed data set (see dataset.py)."""

from __future__ import annotations

import httpx
import pytest

from benchtrail.api import EventStore
from benchtrail.api.models.analytics import ParetoRow
from benchtrail.api.queries import analytics
from benchtrail.projector import Warehouse

from .dataset import MAY_1, H

ANY = analytics.AnalyticsFilters()


def _table(rows: list[ParetoRow]) -> list[tuple[str, int, int, int]]:
    return [(r.name, r.count, r.failures, r.failed_runs) for r in rows]


def test_measurements_ranked_by_failing_runs(factory: Warehouse) -> None:
    rows = analytics.pareto(factory, ANY, kind="measurements")
    # vout failed in r02, r05 (two points) and r11; iq in r02, r04; ripple: 3 points of r11
    assert _table(rows) == [("vout", 3, 4, 3), ("iq", 2, 2, 2), ("ripple", 1, 3, 1)]
    assert [r.percent for r in rows] == pytest.approx([50, 100 / 3, 100 / 6])
    assert [r.cumulative_percent for r in rows] == pytest.approx([50, 500 / 6, 100])


def test_measurements_ranked_by_failed_points(factory: Warehouse) -> None:
    rows = analytics.pareto(factory, ANY, kind="measurements", by="failures")
    assert [(r.name, r.count) for r in rows] == [("vout", 4), ("ripple", 3), ("iq", 2)]
    assert [r.cumulative_percent for r in rows] == pytest.approx([400 / 9, 700 / 9, 100])


def test_limit_keeps_shares_of_the_whole(factory: Warehouse) -> None:
    rows = analytics.pareto(factory, ANY, kind="measurements", by="failures", limit=2)
    assert [r.name for r in rows] == ["vout", "ripple"]
    assert rows[-1].cumulative_percent == pytest.approx(700 / 9)


def test_steps_failed_or_in_error(factory: Warehouse) -> None:
    rows = analytics.pareto(factory, ANY, kind="steps")
    assert _table(rows) == [("power", 2, 2, 2), ("load", 1, 1, 1)]
    assert [r.cumulative_percent for r in rows] == pytest.approx([200 / 3, 100])


def test_filters_and_ties_by_name(factory: Warehouse) -> None:
    for filters in (
        analytics.AnalyticsFilters(part_number="P2"),
        analytics.AnalyticsFilters(station_id="st-b"),
        analytics.AnalyticsFilters(since_ns=MAY_1 + 24 * H),
    ):
        rows = analytics.pareto(factory, filters, kind="measurements")
        assert _table(rows) == [("ripple", 1, 3, 1), ("vout", 1, 1, 1)], filters
    phase = analytics.AnalyticsFilters(test_phase="final")
    assert analytics.pareto(factory, phase, kind="measurements") == []
    first_day = analytics.AnalyticsFilters(until_ns=MAY_1 + 14 * H)
    assert _table(analytics.pareto(factory, first_day, kind="steps")) == [("power", 1, 1, 1)]


def test_pareto_over_http_and_the_client(factory: Warehouse, analytics_url: str) -> None:
    body = httpx.get(
        f"{analytics_url}/api/analytics/pareto", params={"kind": "steps", "by": "failures"}
    ).json()
    direct = analytics.pareto(factory, ANY, kind="steps", by="failures")
    assert [(r["name"], r["count"], r["cumulative_percent"]) for r in body] == [
        (r.name, r.count, r.cumulative_percent) for r in direct
    ]
    with EventStore(analytics_url) as store:
        frame = store.pareto("measurements", part_number="P1", limit=5).to_polars()
    assert frame["name"].to_list() == ["iq", "vout"]  # both failed in two P1 runs
    assert frame["cumulative_percent"].to_list() == pytest.approx([50, 100])

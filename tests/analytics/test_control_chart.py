"""Control charts: each Nelson rule on a constructed sequence, I-MR and X̄-R against numpy."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from benchtrail.api import EventStore
from benchtrail.api.queries import analytics
from benchtrail.api.queries.analytics import latest
from benchtrail.projector import Warehouse

from . import dataset

ANY = analytics.AnalyticsFilters()

CLEAN = [
    0.5, -0.9, -1.7, -1.8, 1.2, 1.6, 0.4, 0.9, 0.2, 1.7, 1.2, -1.9, 1.4, -1.8, 0.9, -1.2,
    1.4, 0.2, -0.8, -0.3, -1.8, -1.4, 0.6, 0.6, 0.4, -0.4, 1.9, 1.8, 0.7, 0.6, 0.7, -0.4,
    -1.4, 0.8, 0.1, -0.7, -0.1, 1.5, 1.6, -0.5,
]  # fmt: skip
"""Forty points (centre 0, sigma 1) that complete no rule's pattern."""

WITHIN = [0.1, -0.2, 0.3, 0.2, -0.1, 0.4, 0.3, -0.3, 0.5, 0.6, 0.2, -0.4, -0.5, 0.1, 0.3]
"""Fifteen points within 1 sigma, not alternating, no six-point trend, not nine on a side."""

TRIGGERS = {
    1: ([0.0, 0.5, -0.5, 3.5], 3, [0.0, 0.5, -0.5, 3.0]),
    2: ([-0.5, *[0.5] * 9], 9, [-0.5, *[0.5] * 8, -0.5]),
    3: ([0.0, -0.9, -0.6, -0.3, 0.0, 0.3, 0.6], 6, [0.0, -0.9, -0.6, -0.3, 0.0, 0.3, 0.3]),
    4: ([0.5, -0.5] * 7, 13, [*[0.5, -0.5] * 6, 0.5]),
    5: ([0.0, 2.5, 0.5, 2.2], 3, [0.0, 2.5, 0.5, -2.2]),
    6: ([0.0, 1.5, 1.2, 0.5, 1.8, 1.1], 5, [0.0, 1.5, 1.2, 0.5, 1.8, -1.1]),
    7: (WITHIN, 14, [*WITHIN[:-1], 1.5]),
    8: ([1.5, -1.5, 1.2, -1.8, 1.6, -1.3, 1.4, -1.1], 7, [1.5] * 8),
}
"""Rule → (a sequence completing it, the index that completes it, a near miss)."""


@pytest.mark.parametrize("rule", sorted(TRIGGERS))
def test_each_rule_flags_the_point_completing_its_pattern(rule: int) -> None:
    sequence, index, near_miss = TRIGGERS[rule]
    flags = analytics.rule_flags(np.array(sequence), 0.0, 1.0)[rule]
    assert np.flatnonzero(flags).tolist() == [index]
    missed = analytics.rule_flags(np.array(near_miss), 0.0, 1.0)[rule]
    assert not missed.any()


def test_a_clean_sequence_breaks_no_rule() -> None:
    flags = analytics.rule_flags(np.array(CLEAN), 0.0, 1.0)
    assert {rule: np.flatnonzero(f).tolist() for rule, f in flags.items()} == {
        rule: [] for rule in range(1, 9)
    }


def test_the_rules_hold_on_the_other_side_and_on_scaled_points() -> None:
    for rule in (1, 2, 5, 6):
        sequence, index, _ = TRIGGERS[rule]
        mirrored = 10.0 - 0.1 * np.array(sequence)  # centre 10, sigma 0.1, other side
        assert np.flatnonzero(analytics.rule_flags(mirrored, 10.0, 0.1)[rule]).tolist() == [index]


def test_individuals_chart_against_numpy(factory: Warehouse) -> None:
    chart = analytics.control_chart(factory, "spc_x", ANY, chart="imr", limit=100)
    x = np.array(dataset.SPC)
    moving = np.abs(np.diff(x))
    assert len(chart.points) == 60
    assert [p.value for p in chart.points] == dataset.SPC
    assert chart.center == pytest.approx(x.mean())
    assert chart.range_center == pytest.approx(moving.mean())
    assert chart.ucl == pytest.approx(x.mean() + 3 * moving.mean() / 1.128)
    assert chart.lcl == pytest.approx(x.mean() - 3 * moving.mean() / 1.128)
    assert chart.sigma == pytest.approx(moving.mean() / 1.128)
    assert chart.range_ucl == pytest.approx(3.267 * moving.mean())
    assert chart.points[0].range is None
    assert [p.range for p in chart.points[1:]] == pytest.approx(moving.tolist())
    spike = chart.points[dataset.SPIKE_AT]
    assert 1 in spike.rules and spike.range_out
    assert chart.violations["1"] == 1
    assert spike.run_id == "r09" and chart.unit == "V"
    assert [p.ts_ns for p in chart.points] == sorted(p.ts_ns for p in chart.points)


def test_the_most_recent_points_only(factory: Warehouse) -> None:
    chart = analytics.control_chart(factory, "spc_x", ANY, limit=20)
    assert [p.value for p in chart.points] == dataset.SPC[-20:]
    assert chart.center == pytest.approx(np.mean(dataset.SPC[-20:]))


@pytest.mark.parametrize("probe_above", [latest.PROBE_ABOVE, 0], ids=["read", "counted first"])
def test_the_latest_points_before_until_across_time_windows(
    factory: Warehouse, probe_above: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(latest, "PROBE_ABOVE", probe_above)
    # vout: r01, r02 on 1 May morning, r05 (two points) at 21:00, r11 on 2 May at 11:00
    until = analytics.AnalyticsFilters(until_ns=dataset.MAY_1 + 36 * dataset.H)
    last_two = analytics.control_chart(factory, "vout", until, limit=2)
    assert [p.value for p in last_two.points] == [4.7, 5.25]  # all in the last day
    widened = analytics.control_chart(factory, "vout", until, limit=5)
    assert [p.value for p in widened.points] == [5.0, 5.3, 5.2, 4.7, 5.25]
    since = analytics.AnalyticsFilters(since_ns=dataset.MAY_1 + 6 * dataset.H)
    assert [p.value for p in analytics.control_chart(factory, "vout", since).points] == [
        5.3,
        5.2,
        4.7,
        5.25,
    ]


def test_subgroup_chart_against_numpy(factory: Warehouse) -> None:
    chart = analytics.control_chart(
        factory, "spc_x", ANY, chart="xbar-r", limit=10, subgroup_size=4
    )
    groups = np.array(dataset.SPC[-40:]).reshape(10, 4)
    means, ranges = groups.mean(axis=1), np.ptp(groups, axis=1)
    a2, d3, d4 = 0.729, 0.0, 2.282
    assert [p.value for p in chart.points] == pytest.approx(means.tolist())
    assert [p.range for p in chart.points] == pytest.approx(ranges.tolist())
    assert chart.center == pytest.approx(means.mean())
    assert chart.ucl == pytest.approx(means.mean() + a2 * ranges.mean())
    assert chart.lcl == pytest.approx(means.mean() - a2 * ranges.mean())
    assert (chart.range_ucl, chart.range_lcl) == pytest.approx(
        (d4 * ranges.mean(), d3 * ranges.mean())
    )
    assert chart.subgroup_size == 4
    spike_group = (dataset.SPIKE_AT - 20) // 4  # the 40 points start at point 20
    assert chart.points[spike_group].range_out


def test_subgroups_drop_the_incomplete_oldest_one(factory: Warehouse) -> None:
    chart = analytics.control_chart(
        factory, "spc_x", ANY, chart="xbar-r", limit=100, subgroup_size=7
    )
    assert len(chart.points) == 60 // 7
    last = dataset.SPC[-7:]
    assert chart.points[-1].value == pytest.approx(np.mean(last))
    r = analytics.SUBGROUP_CONSTANTS[7]
    assert r == (0.419, 0.076, 1.924)


def test_a_chart_with_too_few_points(factory: Warehouse) -> None:
    empty = analytics.control_chart(factory, "no-such-measurement", ANY)
    assert (empty.points, empty.center, empty.ucl) == ([], None, None)
    st_b = analytics.AnalyticsFilters(station_id="st-b")
    single = analytics.control_chart(factory, "vout", st_b)
    assert [p.value for p in single.points] == [5.25]
    assert (single.center, single.ucl, single.points[0].rules) == (5.25, None, [])


def test_control_chart_over_http_and_the_client(factory: Warehouse, analytics_url: str) -> None:
    body = httpx.get(
        f"{analytics_url}/api/analytics/control-chart",
        params={"name": "spc_x", "chart": "imr", "limit": 60, "station_id": "st-a"},
    ).json()
    direct = analytics.control_chart(factory, "spc_x", ANY, limit=60)
    assert body["center"] == direct.center and body["ucl"] == direct.ucl
    assert [p["rules"] for p in body["points"]] == [p.rules for p in direct.points]
    assert body["violations"] == direct.violations
    with EventStore(analytics_url) as store:
        chart = store.control_chart("spc_x", chart="xbar-r", limit=5, subgroup_size=3)
    frame = chart.to_polars()
    assert frame.height == 5
    assert frame["value"].to_list() == pytest.approx(
        np.array(dataset.SPC[-15:]).reshape(5, 3).mean(axis=1).tolist()
    )

"""Yield, first-pass yield and retests, grouped, computed in ClickHouse.

Each run's outcome is its ``run.ended``; a run without one is running.
``yield_rate`` = passed / (passed + failed + error): aborted and running runs carry
no verdict on the DUT.

For first-pass yield the runs with a verdict and a DUT serial are numbered per DUT
and test phase, ``(dut_serial, dut_part_number, test_phase)``, by start time (ties by
run id) with ``row_number()``: attempt 1 is the first run, the others are retests.
"""

from __future__ import annotations

import msgspec

from benchtrail.api.models.analytics import FirstPassYieldRow, YieldRow
from benchtrail.api.queries._sql import Row, Where
from benchtrail.api.queries.analytics.filters import AnalyticsFilters, run_where
from benchtrail.api.queries.analytics.grouping import Grouping
from benchtrail.projector import Warehouse

_VERDICTS = "('passed', 'failed', 'error')"


def run_yield(
    warehouse: Warehouse, filters: AnalyticsFilters, grouping: Grouping
) -> list[YieldRow]:
    """Run outcomes and yield per group, ordered by group (one row when ungrouped)."""
    sql = f"""
        SELECT {grouping.select()}count() AS runs,
               countIf(outcome = 'passed') AS passed, countIf(outcome = 'failed') AS failed,
               countIf(outcome = 'error') AS error, countIf(outcome = 'aborted') AS aborted,
               countIf(outcome = '') AS running
        FROM ({_runs_with_outcome(warehouse, filters)})
        {grouping.group_and_order()}
    """
    rows = warehouse.rows(sql, _parameters(filters, grouping))
    return [_yield_row(row) for row in rows]


def first_pass_yield(
    warehouse: Warehouse, filters: AnalyticsFilters, grouping: Grouping
) -> list[FirstPassYieldRow]:
    """DUTs tested, passed at their first run, and retests per group, ordered by group."""
    sql = f"""
        SELECT {grouping.select()}countIf(attempt = 1) AS duts,
               countIf(attempt = 1 AND outcome = 'passed') AS first_pass,
               countIf(attempt > 1) AS retests, countIf(attempt = 2) AS retested_duts,
               count() AS runs
        FROM (
            SELECT station_id, started_at, dut_part_number, product_id, test_phase, fixture_id,
                   outcome, row_number() OVER (
                       PARTITION BY dut_serial, dut_part_number, test_phase
                       ORDER BY started_at, run_id
                   ) AS attempt
            FROM ({_runs_with_outcome(warehouse, filters)})
            WHERE outcome IN {_VERDICTS} AND dut_serial != ''
        )
        {grouping.group_and_order()}
    """
    rows = warehouse.rows(sql, _parameters(filters, grouping))
    return [
        msgspec.convert(
            {**row, "first_pass_yield": _ratio(row["first_pass"], row["duts"])},
            FirstPassYieldRow,
        )
        for row in rows
    ]


def _runs_with_outcome(warehouse: Warehouse, filters: AnalyticsFilters) -> str:
    """The filtered runs with their outcome ('' while running).

    ``ANY LEFT JOIN`` takes one end per run, so a replayed ``run.ended`` (the same
    row twice before a merge) counts once without ``FINAL`` on ``run_ends``.
    """
    database = warehouse.database
    where = run_where(filters)
    # A run ends at its station after it starts: prune run_ends by those bounds too.
    ends = Where()
    ends.equals("station_id", filters.station_id)
    ends.time_range("ended_at", filters.since_ns, None)
    return f"""
        SELECT run_id, station_id, started_at, dut_serial, dut_part_number, product_id,
               test_phase, fixture_id, outcome
        FROM (
            SELECT run_id, station_id, started_at, dut_serial, dut_part_number, product_id,
                   test_phase, fixture_id
            FROM {database}.runs FINAL {where.sql()}
        ) AS started
        ANY LEFT JOIN (
            SELECT run_id, outcome FROM {database}.run_ends {ends.sql()}
        ) AS ends USING run_id
    """


def _parameters(filters: AnalyticsFilters, grouping: Grouping) -> dict[str, object]:
    return {**run_where(filters).parameters, **grouping.parameters()}


def _yield_row(row: Row) -> YieldRow:
    verdicts = row["passed"] + row["failed"] + row["error"]
    return msgspec.convert({**row, "yield_rate": _ratio(row["passed"], verdicts)}, YieldRow)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None

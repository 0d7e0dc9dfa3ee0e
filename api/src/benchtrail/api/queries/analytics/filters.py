"""Filters every analytics question takes, as WHERE clauses over runs, steps or points.

Run attributes (part number, product, test phase, fixture) live in ``runs``; a question
about measurements or steps keeps the points whose run matches them
(``run_id IN (SELECT run_id FROM runs ...)``). The station and the time range are
columns of every table and bound the read by the tables' sort and partition keys.
"""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from benchtrail.api.queries._sql import Where
from benchtrail.projector import Warehouse


class AnalyticsFilters(msgspec.Struct, frozen=True, kw_only=True):
    """Which runs (and their points) a question covers; ``None`` means any.

    ``since_ns``/``until_ns`` bound the run's start for yield, the point's time for
    measurements and the step's end for steps: ``since <= time < until``.
    """

    station_id: str | None = None
    part_number: str | None = None
    product_id: str | None = None
    test_phase: str | None = None
    fixture_id: str | None = None
    since_ns: int | None = None
    until_ns: int | None = None


def run_attributes(where: Where, filters: AnalyticsFilters) -> None:
    """Conditions on the ``runs`` columns other than the station and the time."""
    where.equals("dut_part_number", filters.part_number)
    where.equals("product_id", filters.product_id)
    where.equals("test_phase", filters.test_phase)
    where.equals("fixture_id", filters.fixture_id)


def run_where(filters: AnalyticsFilters) -> Where:
    """Conditions on the ``runs`` table: every filter, the time on ``started_at``."""
    where = Where()
    where.equals("station_id", filters.station_id)
    run_attributes(where, filters)
    where.time_range("started_at", filters.since_ns, filters.until_ns)
    return where


def point_where(
    warehouse: Warehouse, filters: AnalyticsFilters, time_column: str, *, with_runs: bool = True
) -> Where:
    """Conditions on ``measurements`` or ``steps``: station, time, and the run's attributes.

    ``with_runs=False`` leaves the run's attributes out, for a query that applies
    :func:`matching_runs` itself (e.g. after aggregating, on far fewer rows).
    """
    where = Where()
    where.equals("station_id", filters.station_id)
    where.time_range(time_column, filters.since_ns, filters.until_ns)
    runs = matching_runs(warehouse, filters)
    if with_runs and runs is not None:
        where.add(f"run_id IN ({runs.sql})", **runs.parameters)
    return where


class Subquery(NamedTuple):
    """A subquery's SQL and the bound parameters it names."""

    sql: str
    parameters: dict[str, object]


def matching_runs(warehouse: Warehouse, filters: AnalyticsFilters) -> Subquery | None:
    """``SELECT run_id FROM runs WHERE <the run's attributes>``, or None without any.

    A set of ids: a replayed run row adds nothing to it, so ``runs`` is read without
    ``FINAL``.
    """
    runs = Where()
    run_attributes(runs, filters)
    if not runs.conditions:
        return None
    return Subquery(f"SELECT run_id FROM {warehouse.database}.runs {runs.sql()}", runs.parameters)


def numeric_points(warehouse: Warehouse, name: str, filters: AnalyticsFilters) -> Where:
    """Conditions selecting the numeric points (float or int) of measurement ``name``."""
    where = point_where(warehouse, filters, "ts")
    where.add("name = {name:String}", name=name)
    where.add("value_kind IN ('float', 'int')")
    return where

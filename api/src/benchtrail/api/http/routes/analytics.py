"""Route handlers of ``/api/analytics``: yield, Pareto, capability, histogram, control charts.

Each handler is a thin shell over :mod:`benchtrail.api.queries.analytics`: it parses
its parameters (a bad one is a 400 naming it) and runs one question in ClickHouse.
The filters every endpoint shares (station, part number, product, test phase,
fixture, time range) are a dependency, :func:`provide_filters`.
"""

from __future__ import annotations

from typing import Annotated, get_args

from litestar import get
from litestar.di import NamedDependency, Provide
from litestar.handlers import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from benchtrail.api.errors import BadParameter
from benchtrail.api.http.query_params import check_choice, parse_time
from benchtrail.api.models.analytics import (
    CapabilityRow,
    ChartKind,
    ControlChart,
    FirstPassYieldRow,
    GroupBy,
    Histogram,
    ParetoBy,
    ParetoKind,
    ParetoRow,
    YieldRow,
)
from benchtrail.api.models.entities import ErrorBody
from benchtrail.api.queries import analytics
from benchtrail.api.queries.analytics.capability import CapabilityGroup
from benchtrail.projector import Warehouse

_BAD = ResponseSpec(ErrorBody, description="A parameter has a value the API cannot use.")
_TIME = "ISO-8601 time (naive = UTC) or integer nanoseconds since the epoch"
_WHEN = "the run's start for yield, the point's time for measurements, the step's end for steps"
_TAGS = ["analytics"]


def _text(description: str) -> QueryParameter:
    return QueryParameter(description=description)


def provide_filters(
    *,
    station_id: Annotated[str | None, _text("Only this station id.")] = None,
    part_number: Annotated[str | None, _text("Only runs of this DUT part number.")] = None,
    product_id: Annotated[str | None, _text("Only runs of this product id.")] = None,
    test_phase: Annotated[str | None, _text("Only runs of this test phase.")] = None,
    fixture_id: Annotated[str | None, _text("Only runs on this fixture.")] = None,
    since: Annotated[str | None, _text(f"From this time on ({_WHEN}): {_TIME}.")] = None,
    until: Annotated[str | None, _text(f"Before this time: {_TIME}.")] = None,
) -> analytics.AnalyticsFilters:
    """The filters every analytics endpoint takes; an empty one (``?station_id=``) is none."""
    return analytics.AnalyticsFilters(
        station_id=station_id or None,
        part_number=part_number or None,
        product_id=product_id or None,
        test_phase=test_phase or None,
        fixture_id=fixture_id or None,
        since_ns=parse_time("since", since) if since else None,
        until_ns=parse_time("until", until) if until else None,
    )


def provide_grouping(
    *,
    group_by: Annotated[
        str | None,
        _text("Comma-separated dimensions: " + ", ".join(get_args(GroupBy)) + ". None: one row."),
    ] = None,
    shifts: Annotated[
        str | None,
        _text("Shift start hours, increasing, e.g. 6,14,22 (the default): 06-14, 14-22, 22-06."),
    ] = None,
    tz: Annotated[
        str | None, _text("IANA time zone of days and shifts, e.g. Europe/Berlin (default UTC).")
    ] = None,
) -> analytics.Grouping:
    """How yield is grouped: dimensions, shift boundaries and the time zone."""
    return analytics.Grouping(
        dimensions=analytics.parse_group_by(group_by),
        shift_starts=analytics.parse_shifts(shifts),
        tz=analytics.check_tz(tz),
    )


_FILTERS = {"filters": Provide(provide_filters, sync_to_thread=False)}
_GROUPED = {**_FILTERS, "grouping": Provide(provide_grouping, sync_to_thread=False)}

Name = Annotated[str | None, QueryParameter(description="The measurement name (required).")]


def _required_name(name: str | None) -> str:
    """The ``name`` parameter, which every per-measurement endpoint needs.

    Raises:
        BadParameter: it is missing or empty.
    """
    if not name:
        raise BadParameter("name", name or "", "a measurement name")
    return name


@get(
    "/api/analytics/yield",
    dependencies=_GROUPED,
    responses={400: _BAD},
    sync_to_thread=True,
    tags=_TAGS,
)
def run_yield(
    warehouse: NamedDependency[Warehouse],
    filters: NamedDependency[analytics.AnalyticsFilters],
    grouping: NamedDependency[analytics.Grouping],
) -> list[YieldRow]:
    """Runs by outcome and yield (passed / (passed + failed + error)) per group."""
    return analytics.run_yield(warehouse, filters, grouping)


@get(
    "/api/analytics/first-pass-yield",
    dependencies=_GROUPED,
    responses={400: _BAD},
    sync_to_thread=True,
    tags=_TAGS,
)
def first_pass_yield(
    warehouse: NamedDependency[Warehouse],
    filters: NamedDependency[analytics.AnalyticsFilters],
    grouping: NamedDependency[analytics.Grouping],
) -> list[FirstPassYieldRow]:
    """DUTs tested, DUTs passed at their first run, and retests, per group."""
    return analytics.first_pass_yield(warehouse, filters, grouping)


@get(
    "/api/analytics/pareto",
    dependencies=_FILTERS,
    responses={400: _BAD},
    sync_to_thread=True,
    tags=_TAGS,
)
def pareto(
    warehouse: NamedDependency[Warehouse],
    filters: NamedDependency[analytics.AnalyticsFilters],
    *,
    kind: Annotated[str, _text("What fails: " + " or ".join(get_args(ParetoKind)) + ".")] = (
        "measurements"
    ),
    by: Annotated[
        str, _text("Rank by failing `runs` or by `failures` (points or step executions).")
    ] = "runs",
    limit: Annotated[int, QueryParameter(ge=1, le=1000, description="Names returned.")] = 20,
) -> list[ParetoRow]:
    """Failing measurement or step names, most first, with cumulative percentages."""
    kinds: dict[str, ParetoKind] = {k: k for k in get_args(ParetoKind)}
    bys: dict[str, ParetoBy] = {b: b for b in get_args(ParetoBy)}
    check_choice("kind", kind, kinds)
    check_choice("by", by, bys)
    return analytics.pareto(warehouse, filters, kind=kinds[kind], by=bys[by], limit=limit)


@get(
    "/api/analytics/capability",
    dependencies=_FILTERS,
    responses={400: _BAD},
    sync_to_thread=True,
    tags=_TAGS,
)
def capability(
    warehouse: NamedDependency[Warehouse],
    filters: NamedDependency[analytics.AnalyticsFilters],
    *,
    name: Name = None,
    group_by: Annotated[str | None, _text("`station` for one row per station.")] = None,
) -> list[CapabilityRow]:
    """Cp, Cpk, Pp, Ppk (or one-sided) of a measurement, one row per set of limits."""
    check_choice("group_by", group_by or None, ("station",))
    group: CapabilityGroup | None = "station" if group_by else None
    return analytics.capability(warehouse, _required_name(name), filters, group_by=group)


@get(
    "/api/analytics/histogram",
    dependencies=_FILTERS,
    responses={400: _BAD},
    sync_to_thread=True,
    tags=_TAGS,
)
def histogram(
    warehouse: NamedDependency[Warehouse],
    filters: NamedDependency[analytics.AnalyticsFilters],
    *,
    name: Name = None,
    bins: Annotated[int, QueryParameter(ge=1, le=1000, description="Number of bins.")] = 30,
) -> Histogram:
    """Equal-width bins of a measurement's values, with its latest limits."""
    return analytics.histogram(warehouse, _required_name(name), filters, bins=bins)


@get(
    "/api/analytics/control-chart",
    dependencies=_FILTERS,
    responses={400: _BAD},
    sync_to_thread=True,
    tags=_TAGS,
)
def control_chart(
    warehouse: NamedDependency[Warehouse],
    filters: NamedDependency[analytics.AnalyticsFilters],
    *,
    name: Name = None,
    chart: Annotated[str, _text("`imr` (individuals) or `xbar-r` (subgroups).")] = "imr",
    limit: Annotated[
        int,
        QueryParameter(
            ge=1,
            le=analytics.MAX_POINTS,
            description="The most recent points (I-MR) or subgroups (X̄-R) plotted.",
        ),
    ] = 100,
    subgroup_size: Annotated[
        int, QueryParameter(ge=2, le=10, description="Points per subgroup (X̄-R).")
    ] = 5,
) -> ControlChart:
    """I-MR or X̄-R chart with Western Electric / Nelson rule violations per point."""
    charts: dict[str, ChartKind] = {c: c for c in get_args(ChartKind)}
    check_choice("chart", chart, charts)
    return analytics.control_chart(
        warehouse,
        _required_name(name),
        filters,
        chart=charts[chart],
        limit=limit,
        subgroup_size=subgroup_size,
    )


ANALYTICS_ROUTES: list[BaseRouteHandler] = [
    run_yield,
    first_pass_yield,
    pareto,
    capability,
    histogram,
    control_chart,
]
"""Every route handler of this group."""

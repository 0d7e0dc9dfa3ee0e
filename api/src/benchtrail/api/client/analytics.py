"""Client methods for ``/api/analytics``: yield, Pareto, capability, control charts.

Tables come back as :class:`~benchtrail.api.models.records.Records` (``.to_polars()``); a
histogram and a control chart as Structs whose ``to_polars()`` gives their bins or
points. ``since``/``until`` take a datetime (naive = UTC), nanoseconds or ISO text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict, Unpack

import msgspec

from benchtrail.api.client.base import ClientBase, QueryValue
from benchtrail.api.client.filters import query_values
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
from benchtrail.api.models.records import Records

TimeBound = datetime | int | str
"""A ``since``/``until`` bound: a datetime (naive = UTC), ns since the epoch, or ISO text."""

_yield_rows = msgspec.json.Decoder(list[YieldRow])
_first_pass_rows = msgspec.json.Decoder(list[FirstPassYieldRow])
_pareto_rows = msgspec.json.Decoder(list[ParetoRow])
_capability_rows = msgspec.json.Decoder(list[CapabilityRow])
_histogram = msgspec.json.Decoder(Histogram)
_control_chart = msgspec.json.Decoder(ControlChart)


class FilterArgs(TypedDict, total=False):
    """Which runs (and their points) an analytics question covers; a missing one means any.

    ``since``/``until`` bound the run's start for yield, the point's time for
    measurements and the step's end for steps.
    """

    station_id: str
    part_number: str
    product_id: str
    test_phase: str
    fixture_id: str
    since: TimeBound
    until: TimeBound


class AnalyticsMethods(ClientBase):
    """The analytics questions of :class:`benchtrail.api.EventStore`.

    Every method takes the filters of :class:`FilterArgs` as keyword arguments
    (``station_id``, ``part_number``, ``product_id``, ``test_phase``, ``fixture_id``,
    ``since``, ``until``).
    """

    def yields(
        self,
        *,
        group_by: GroupBy | Sequence[GroupBy] = (),
        shifts: Sequence[int] | None = None,
        tz: str | None = None,
        **filters: Unpack[FilterArgs],
    ) -> Records[YieldRow]:
        """Runs by outcome and ``yield_rate`` per group (one row when ungrouped).

        Example:
            >>> store.yields(group_by=["station", "day"], since="2024-05-01").to_polars()
        """
        query = _grouped(group_by, shifts, tz, filters)
        rows = _yield_rows.decode(self._get("/api/analytics/yield", query))
        return Records(rows, item_type=YieldRow)

    def first_pass_yield(
        self,
        *,
        group_by: GroupBy | Sequence[GroupBy] = (),
        shifts: Sequence[int] | None = None,
        tz: str | None = None,
        **filters: Unpack[FilterArgs],
    ) -> Records[FirstPassYieldRow]:
        """DUTs tested, first-pass yield and retests per group."""
        query = _grouped(group_by, shifts, tz, filters)
        rows = _first_pass_rows.decode(self._get("/api/analytics/first-pass-yield", query))
        return Records(rows, item_type=FirstPassYieldRow)

    def pareto(
        self,
        kind: ParetoKind = "measurements",
        *,
        by: ParetoBy = "runs",
        limit: int = 20,
        **filters: Unpack[FilterArgs],
    ) -> Records[ParetoRow]:
        """The most failing measurement (or step) names with cumulative percentages."""
        query = {**_filters(filters), "kind": kind, "by": by, "limit": limit}
        rows = _pareto_rows.decode(self._get("/api/analytics/pareto", query))
        return Records(rows, item_type=ParetoRow)

    def capability(
        self, name: str, *, by_station: bool = False, **filters: Unpack[FilterArgs]
    ) -> Records[CapabilityRow]:
        """Cp, Cpk, Pp, Ppk of measurement ``name``, one row per set of limits (and station)."""
        query: dict[str, QueryValue] = {**_filters(filters), "name": name}
        if by_station:
            query["group_by"] = "station"
        rows = _capability_rows.decode(self._get("/api/analytics/capability", query))
        return Records(rows, item_type=CapabilityRow)

    def histogram(self, name: str, *, bins: int = 30, **filters: Unpack[FilterArgs]) -> Histogram:
        """Equal-width bins of measurement ``name`` (``.to_polars()`` for the bins)."""
        query = {**_filters(filters), "name": name, "bins": bins}
        return _histogram.decode(self._get("/api/analytics/histogram", query))

    def control_chart(
        self,
        name: str,
        *,
        chart: ChartKind = "imr",
        limit: int = 100,
        subgroup_size: int = 5,
        **filters: Unpack[FilterArgs],
    ) -> ControlChart:
        """I-MR or X̄-R chart of the most recent points, with rule violations per point."""
        query = {
            **_filters(filters),
            "name": name,
            "chart": chart,
            "limit": limit,
            "subgroup_size": subgroup_size,
        }
        return _control_chart.decode(self._get("/api/analytics/control-chart", query))


def _filters(filters: FilterArgs) -> dict[str, QueryValue]:
    """The filter keywords as query parameters (a datetime as nanoseconds)."""
    return query_values(filters)


def _grouped(
    group_by: GroupBy | Sequence[GroupBy],
    shifts: Sequence[int] | None,
    tz: str | None,
    filters: FilterArgs,
) -> dict[str, QueryValue]:
    query = _filters(filters)
    dimensions = [group_by] if isinstance(group_by, str) else list(group_by)
    if dimensions:
        query["group_by"] = ",".join(dimensions)
    if shifts is not None:
        query["shifts"] = ",".join(str(hour) for hour in shifts)
    if tz is not None:
        query["tz"] = tz
    return query

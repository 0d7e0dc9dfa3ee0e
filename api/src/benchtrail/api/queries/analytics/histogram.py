"""Histogram of a measurement: equal-width bins counted in ClickHouse, in one read.

One read of the points (``FINAL``) aggregates n, min, max, mean, sigma and the values;
the same query then puts each value in its bin,
``bin = min(toUInt32((value - min) * bins / (max - min)), bins - 1)`` (numpy's rule:
bins are half-open, the last one closed), and counts them (``arrayJoin``, ``GROUP BY``).
When every value is the same there is one bin, ``[min, max]``, holding them all. The
unit and the limits to draw are those of the newest point with limits (of the newest
point when none has any), read from the newest partitions first (:mod:`.latest`), at
the same time as the bins (:meth:`~benchtrail.projector.Warehouse.together`; read again
without the condition on limits when no point has any).
"""

from __future__ import annotations

from benchtrail.api.models.analytics import Histogram, HistogramBin
from benchtrail.api.queries._sql import Row, finite
from benchtrail.api.queries.analytics.filters import AnalyticsFilters, numeric_points
from benchtrail.api.queries.analytics.latest import newest_points
from benchtrail.api.queries.measurements import FINAL_SETTINGS
from benchtrail.projector import Warehouse

_LIMITED = "(low IS NOT NULL OR high IS NOT NULL)"


def histogram(
    warehouse: Warehouse, name: str, filters: AnalyticsFilters, *, bins: int = 30
) -> Histogram:
    """``bins`` equal-width bins over the numeric points of ``name`` matching ``filters``."""
    rows, spec = warehouse.together(
        lambda: _binned(warehouse, name, filters, bins),
        lambda: _latest_spec(warehouse, name, filters, limited=True),
    )
    if not rows:
        return _empty(name)
    first = rows[0]
    if not first["limited"]:
        spec = _latest_spec(warehouse, name, filters, limited=False)
    unit, low, high = spec
    n, low_value, high_value = first["n"], first["lowest"], first["highest"]
    if low_value == high_value:
        edges, counts = [low_value, high_value], [n]
    else:
        width = (high_value - low_value) / bins
        edges = [low_value + i * width for i in range(bins)] + [high_value]
        counts = [0] * bins
        for row in rows:
            counts[row["bin"]] = row["count"]
    return Histogram(
        name=name,
        unit=unit,
        n=n,
        min=low_value,
        max=high_value,
        mean=finite(first["mean"]),
        sigma=finite(first["sigma"]),
        bin_width=edges[1] - edges[0],
        low=low,
        high=high,
        bins=[
            HistogramBin(lower=lower, upper=upper, count=count)
            for lower, upper, count in zip(edges, edges[1:], counts, strict=False)
        ],
    )


def _binned(warehouse: Warehouse, name: str, filters: AnalyticsFilters, bins: int) -> list[Row]:
    """One row per non-empty bin, each with the totals; no row without points."""
    where = numeric_points(warehouse, name, filters)
    sql = f"""
        SELECT bin, count() AS count, any(n) AS n, any(lowest) AS lowest,
               any(highest) AS highest, any(mean) AS mean, any(sigma) AS sigma,
               any(limited) AS limited
        FROM (
            SELECT *, arrayJoin(arrayMap(
                x -> least(
                    toUInt32((x - lowest) * if(highest > lowest, {{bins:UInt32}}
                        / (highest - lowest), 0)),
                    {{last:UInt32}}
                ),
                points
            )) AS bin
            FROM (
                SELECT count() AS n, min(value) AS lowest, max(value) AS highest,
                       avg(value) AS mean, stddevSamp(value) AS sigma,
                       countIf({_LIMITED}) AS limited, groupArray(value) AS points
                FROM {warehouse.database}.measurements FINAL {where.sql()}
            )
        )
        GROUP BY bin
        {FINAL_SETTINGS}
    """
    return warehouse.rows(sql, {**where.parameters, "bins": bins, "last": bins - 1})


def _latest_spec(
    warehouse: Warehouse, name: str, filters: AnalyticsFilters, *, limited: bool
) -> tuple[str, float | None, float | None]:
    """Unit, low and high of the newest point with limits (or of the newest point)."""
    where = numeric_points(warehouse, name, filters)
    if limited:
        where.add(_LIMITED)
    columns = "toString(unit) AS unit, low, high"
    table = newest_points(warehouse, where, filters, columns=columns, count=1)
    rows = table.to_pylist()
    if not rows:  # removed since the summary was read
        return "", None, None
    return str(rows[0]["unit"]), rows[0]["low"], rows[0]["high"]


def _empty(name: str) -> Histogram:
    return Histogram(
        name=name,
        unit="",
        n=0,
        min=None,
        max=None,
        mean=None,
        sigma=None,
        bin_width=None,
        low=None,
        high=None,
        bins=[],
    )

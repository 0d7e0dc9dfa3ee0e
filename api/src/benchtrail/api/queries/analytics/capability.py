"""Process capability per measurement and set of limits: Cp, Cpk, Pp, Ppk, with n.

ClickHouse aggregates the points (``FINAL``: each point once): n, mean, sample
standard deviation, extremes, out-of-limit counts and the sum of moving ranges of
consecutive points in time order (``arrayDifference`` over the values sorted by their
time; points at the very same nanosecond in no particular order). The indices are
arithmetic on those figures:

- sigma_within = MR̄ / d2, MR̄ = sum |x[i] - x[i-1]| / (n - 1), d2 = 1.128
- Cp = (USL - LSL) / 6 sigma_within; Cpu = (USL - mean) / 3 sigma_within;
  Cpl = (mean - LSL) / 3 sigma_within; Cpk = min(Cpu, Cpl) (the one present if one-sided)
- Pp, Ppu, Ppl, Ppk: the same with sigma_overall (sample standard deviation).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from benchtrail.api.models.analytics import CapabilityRow
from benchtrail.api.queries._sql import Row, finite
from benchtrail.api.queries.analytics.filters import AnalyticsFilters, numeric_points
from benchtrail.api.queries.measurements import FINAL_SETTINGS
from benchtrail.projector import Warehouse

D2 = 1.128
"""d2 for moving ranges of two consecutive points: sigma_within = MR̄ / d2."""

CapabilityGroup = Literal["station"]
"""What capability can be split by besides the limits."""


def capability(
    warehouse: Warehouse,
    name: str,
    filters: AnalyticsFilters,
    *,
    group_by: CapabilityGroup | None = None,
) -> list[CapabilityRow]:
    """Capability of ``name`` per set of limits (and per station if asked), most points first.

    Only points with at least one limit count: a point without limits has no spec.
    """
    where = numeric_points(warehouse, name, filters)
    where.add("(low IS NOT NULL OR high IS NOT NULL)")
    station = "station_id, " if group_by == "station" else ""
    sql = f"""
        SELECT {station}low, high, any(unit) AS unit, count() AS n, avg(value) AS mean,
               stddevSamp(value) AS sigma_overall, min(value) AS min, max(value) AS max,
               countIf(value < low) AS below_low, countIf(value > high) AS above_high,
               arraySum(arrayMap(step -> abs(step), arrayDifference(arraySort(
                   (point, at) -> at, groupArray(value), groupArray(toUnixTimestamp64Nano(ts))
               )))) AS moving_range_sum
        FROM {warehouse.database}.measurements FINAL {where.sql()}
        GROUP BY {station}low, high ORDER BY n DESC, {station}low, high
        {FINAL_SETTINGS}
    """
    return [_row(name, row) for row in warehouse.rows(sql, where.parameters)]


def _row(name: str, row: Row) -> CapabilityRow:
    n, mean, low, high = row["n"], row["mean"], row["low"], row["high"]
    moving_range = row["moving_range_sum"] / (n - 1) if n > 1 else None
    within = moving_range / D2 if moving_range is not None else None
    overall = finite(row["sigma_overall"])
    cp, cpk, cpu, cpl = indices(mean, within, low, high)
    pp, ppk, ppu, ppl = indices(mean, overall, low, high)
    fields = {
        **row,
        "name": name,
        "station_id": row.get("station_id"),
        "sigma_overall": overall,
        "sigma_within": within,
        "moving_range_mean": moving_range,
        **{"cp": cp, "cpk": cpk, "cpu": cpu, "cpl": cpl},
        **{"pp": pp, "ppk": ppk, "ppu": ppu, "ppl": ppl},
    }
    return msgspec.convert(fields, CapabilityRow)


def indices(
    mean: float, sigma: float | None, low: float | None, high: float | None
) -> tuple[float | None, float | None, float | None, float | None]:
    """(C, Ck, Cu, Cl) for a sigma: null where a limit is missing or sigma is 0 or unknown."""
    if not sigma:
        return None, None, None, None
    upper = (high - mean) / (3 * sigma) if high is not None else None
    lower = (mean - low) / (3 * sigma) if low is not None else None
    both = (high - low) / (6 * sigma) if high is not None and low is not None else None
    sides = [side for side in (upper, lower) if side is not None]
    return both, min(sides) if sides else None, upper, lower

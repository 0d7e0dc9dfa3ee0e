"""Response bodies of ``/api/analytics``: yield, Pareto, capability, histogram, control charts.

Ratios (``yield_rate``, ``first_pass_yield``) are fractions from 0 to 1; Pareto shares are
percentages from 0 to 100. A statistic that cannot be computed (no point, a sigma of
zero, a missing limit) is null. docs/analytics.md gives every formula.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

import msgspec

from benchtrail.api.models.records import Records

if TYPE_CHECKING:
    import polars as pl

GroupBy = Literal["station", "part", "product", "test_phase", "fixture", "day", "shift"]
"""A dimension yield can be grouped by."""

ChartKind = Literal["imr", "xbar-r"]
"""``imr``: individuals and moving range; ``xbar-r``: subgroup means and ranges."""

ParetoKind = Literal["measurements", "steps"]
"""What a Pareto ranks: failing measurement names or failing step names."""

ParetoBy = Literal["runs", "failures"]
"""What a Pareto counts: failing runs, or failures (points, or step executions)."""


class _Groups(msgspec.Struct, frozen=True, kw_only=True):
    """The group of a yield row; a dimension that was not grouped by is null."""

    station_id: str | None = None
    part_number: str | None = None
    product_id: str | None = None
    test_phase: str | None = None
    fixture_id: str | None = None
    day: str | None = None
    shift: str | None = None


class YieldRow(_Groups, frozen=True, kw_only=True):
    """Run outcomes of one group, and its yield.

    ``yield_rate`` = passed / (passed + failed + error); aborted and running runs have no
    verdict and are left out of it (but counted here).
    """

    runs: int
    passed: int
    failed: int
    error: int
    aborted: int
    running: int
    yield_rate: float | None


class FirstPassYieldRow(_Groups, frozen=True, kw_only=True):
    """First-pass yield and retests of one group.

    A DUT is a (``dut_serial``, ``part_number``) tested in one ``test_phase``; its first
    run is its earliest run with a verdict (passed, failed or error) in the queried time
    range. ``first_pass_yield`` = ``first_pass`` / ``duts``; a DUT counts in the group of
    its first run, a retest in the group of the retest run.
    """

    duts: int
    first_pass: int
    first_pass_yield: float | None
    retests: int
    retested_duts: int
    runs: int


class ParetoRow(msgspec.Struct, frozen=True, kw_only=True):
    """One failing measurement or step name, ranked by ``count``.

    ``failures`` is failed points (measurements) or failed/error step executions
    (steps); ``failed_runs`` the runs with at least one of them. ``count`` is the one of
    the two the Pareto ranks by; ``percent`` and ``cumulative_percent`` are shares of
    the total ``count`` over every name (not only those returned).
    """

    name: str
    count: int
    failures: int
    failed_runs: int
    percent: float
    cumulative_percent: float


class CapabilityRow(msgspec.Struct, frozen=True, kw_only=True):
    """Process capability of one measurement under one set of limits.

    ``sigma_overall`` is the sample standard deviation (Pp, Ppk); ``sigma_within`` is
    the average moving range of consecutive points in time order over d2 = 1.128
    (Cp, Cpk). One-sided limits give only the upper (Cpu, Ppu) or lower (Cpl, Ppl)
    index, and Cpk/Ppk equal it.
    """

    name: str
    station_id: str | None
    unit: str
    low: float | None
    high: float | None
    n: int
    mean: float
    sigma_overall: float | None
    sigma_within: float | None
    moving_range_mean: float | None
    min: float
    max: float
    below_low: int
    above_high: int
    cp: float | None
    cpk: float | None
    cpu: float | None
    cpl: float | None
    pp: float | None
    ppk: float | None
    ppu: float | None
    ppl: float | None


class HistogramBin(msgspec.Struct, frozen=True, kw_only=True):
    """``count`` points fell in ``[lower, upper)`` (the last bin includes ``upper``)."""

    lower: float
    upper: float
    count: int


class Histogram(msgspec.Struct, frozen=True, kw_only=True):
    """Equal-width bins from the smallest to the largest value, and limits to draw.

    ``low``/``high`` are the limits of the most recent point that has them.
    """

    name: str
    unit: str
    n: int
    min: float | None
    max: float | None
    mean: float | None
    sigma: float | None
    bin_width: float | None
    low: float | None
    high: float | None
    bins: list[HistogramBin]

    def to_polars(self) -> pl.DataFrame:
        """The bins as a DataFrame: ``lower``, ``upper``, ``count``."""
        return Records(self.bins, item_type=HistogramBin).to_polars()


class ControlPoint(msgspec.Struct, frozen=True, kw_only=True):
    """One point of a control chart: an individual value, or a subgroup's mean.

    ``range`` is the moving range to the previous point (null for the first) or the
    subgroup's range. ``rules`` lists the Western Electric / Nelson rules (1 to 8) whose
    pattern this point completes; ``range_out`` says the range is outside its limits.
    """

    index: int
    ts: datetime
    ts_ns: int
    value: float
    range: float | None
    run_id: str
    rules: list[int]
    range_out: bool


class ControlChart(msgspec.Struct, frozen=True, kw_only=True):
    """An I-MR or X̄-R chart over the most recent points of a measurement, oldest first.

    ``sigma`` is the chart's estimate of one standard deviation of a plotted point
    (the zone width of the rules): MR̄/1.128 for I-MR, A2·R̄/3 for X̄-R.
    ``violations`` counts flagged points per rule (keys ``"1"`` to ``"8"``).
    """

    name: str
    chart: ChartKind
    unit: str
    subgroup_size: int
    center: float | None
    ucl: float | None
    lcl: float | None
    sigma: float | None
    range_center: float | None
    range_ucl: float | None
    range_lcl: float | None
    points: list[ControlPoint]
    violations: dict[str, int]

    def to_polars(self) -> pl.DataFrame:
        """The points as a DataFrame (``rules`` as a list column)."""
        return Records(self.points, item_type=ControlPoint).to_polars()

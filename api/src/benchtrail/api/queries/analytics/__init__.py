"""Analytics computed in ClickHouse: yield, first-pass yield, Pareto, capability, SPC.

One function per question, each taking a :class:`~benchtrail.projector.Warehouse` and
:class:`AnalyticsFilters`; docs/analytics.md gives every definition and formula.
"""

from benchtrail.api.queries.analytics.capability import capability
from benchtrail.api.queries.analytics.control import MAX_POINTS, SUBGROUP_CONSTANTS, control_chart
from benchtrail.api.queries.analytics.filters import AnalyticsFilters
from benchtrail.api.queries.analytics.grouping import (
    DEFAULT_SHIFTS,
    Grouping,
    check_tz,
    parse_group_by,
    parse_shifts,
)
from benchtrail.api.queries.analytics.histogram import histogram
from benchtrail.api.queries.analytics.pareto import pareto
from benchtrail.api.queries.analytics.rules import rule_flags
from benchtrail.api.queries.analytics.yields import first_pass_yield, run_yield

__all__ = [
    "DEFAULT_SHIFTS",
    "MAX_POINTS",
    "SUBGROUP_CONSTANTS",
    "AnalyticsFilters",
    "Grouping",
    "capability",
    "check_tz",
    "control_chart",
    "first_pass_yield",
    "histogram",
    "pareto",
    "parse_group_by",
    "parse_shifts",
    "rule_flags",
    "run_yield",
]

"""A replayed batch (the same events written again before a merge) changes no answer."""

from __future__ import annotations

from benchtrail.api.queries import analytics
from benchtrail.projector import Warehouse

from . import dataset

ANY = analytics.AnalyticsFilters()


def _answers(warehouse: Warehouse) -> list[object]:
    grouping = analytics.Grouping(dimensions=("station", "day"))
    return [
        analytics.run_yield(warehouse, ANY, grouping),
        analytics.first_pass_yield(warehouse, ANY, grouping),
        analytics.pareto(warehouse, ANY, kind="measurements", by="failures"),
        analytics.pareto(warehouse, ANY, kind="steps", by="failures"),
        analytics.capability(warehouse, "cap_v", ANY, group_by="station"),
        analytics.histogram(warehouse, "cap_v", ANY, bins=7),
        analytics.control_chart(warehouse, "spc_x", ANY, chart="xbar-r", subgroup_size=3),
    ]


def test_replayed_events_count_once(warehouse: Warehouse) -> None:
    events = dataset.events()
    dataset.write(warehouse, events, stream_seq=1)
    once = _answers(warehouse)
    dataset.write(warehouse, events, stream_seq=1)  # redelivered before it was acked
    assert warehouse.scalar(f"SELECT count() FROM {warehouse.database}.runs") == 24
    assert _answers(warehouse) == once

"""A replayed batch (the same events written again before a merge) changes no answer.

Answers read without ``FINAL`` (run, DUT and session reads) must collapse the copies
themselves: each is compared before the replay, after it and after the merge.
"""

from __future__ import annotations

from benchtrail.api import queries
from benchtrail.api.models.entities import RunDetail
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


def _entity_answers(warehouse: Warehouse) -> list[object]:
    """What the dashboard shows of runs, DUTs and sessions (read without ``FINAL``)."""
    run = dataset.BY_ID["r05"]
    session_id = warehouse.scalar(
        f"SELECT session_id FROM {warehouse.database}.runs WHERE run_id = {{r:String}}",
        {"r": run.run_id},
    )
    return [
        queries.get_run(warehouse, run.run_id, measurement_limit=1000),
        queries.get_run(warehouse, dataset.BY_ID["r11"].run_id, measurement_limit=2),
        queries.dut_history(warehouse, "SN3", {}, limit=50, failed_limit=10),
        queries.dut_history(warehouse, "SN2", {}, limit=50, failed_limit=1),
        queries.get_session(warehouse, session_id, run_limit=100),
        queries.list_runs(warehouse, {}, limit=50),
        queries.list_sessions(warehouse, {}, limit=50),
    ]


def test_replayed_events_show_once_in_runs_duts_and_sessions(warehouse: Warehouse) -> None:
    events = dataset.events()
    dataset.write(warehouse, events, stream_seq=1)
    once = _entity_answers(warehouse)
    run = once[0]
    assert isinstance(run, RunDetail)
    assert run.measurement_count == len(run.measurements) > 0
    assert run.failed_measurement_count == 2  # vout fails twice in r05
    dataset.write(warehouse, events, stream_seq=2)  # replayed before the merge
    assert warehouse.scalar(f"SELECT count() FROM {warehouse.database}.runs") == 24
    assert _entity_answers(warehouse) == once
    for table in ("runs", "run_ends", "steps", "measurements", "sessions", "session_ends"):
        warehouse.command(f"OPTIMIZE TABLE {warehouse.database}.{table} FINAL")
    assert _entity_answers(warehouse) == once

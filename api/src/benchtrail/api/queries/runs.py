"""Questions about runs: which DUT was tested where, with what verdict and which points."""

from __future__ import annotations

import msgspec

from benchtrail.api.errors import NotFound
from benchtrail.api.models import MeasurementPoint, RunDetail, RunPage, RunSummary, StepSummary
from benchtrail.api.params import Cursor, encode_cursor, ns_to_datetime
from benchtrail.api.queries._sql import Row, Where, by_key, finite, with_times
from benchtrail.projector import Warehouse
from benchtrail.schemas import CustomValue

CURSOR_KIND = "r"
"""Cursor kind of ``/api/runs`` (a cursor of another endpoint is refused)."""

_COLUMNS = """
    run_id, session_id, station_id, dut_serial, dut_part_number, dut_revision,
    dut_lot_number, product_id, product_name, product_revision, slot_id, slot_index,
    fixture_id, test_phase, project_name, git_commit, git_branch, git_remote, git_dirty,
    python_version, packages, custom_metadata, channel_refs,
    toUnixTimestamp64Nano(started_at) AS started_at_ns
"""
_NOT_ENDED: Row = {"ended_at_ns": None, "outcome": None, "error": "", "duration_ns": None}
_custom_metadata = msgspec.json.Decoder(dict[str, CustomValue])


class RunFilters(msgspec.Struct, frozen=True, kw_only=True):
    """Filters of ``/api/runs``; ``None`` means any. ``outcome`` may be ``running``."""

    dut_serial: str | None = None
    part_number: str | None = None
    outcome: str | None = None
    station_id: str | None = None
    session_id: str | None = None
    since_ns: int | None = None
    until_ns: int | None = None


def list_runs(
    warehouse: Warehouse, filters: RunFilters, *, limit: int, cursor: Cursor | None = None
) -> RunPage:
    """Runs matching ``filters``, newest first (ties by id), one page after ``cursor``."""
    where = Where()
    where.equals("dut_serial", filters.dut_serial)
    where.equals("dut_part_number", filters.part_number)
    where.equals("station_id", filters.station_id)
    where.equals("session_id", filters.session_id)
    where.time_range("started_at", filters.since_ns, filters.until_ns)
    _outcome_condition(warehouse, where, filters.outcome)
    where.before("started_at", "run_id", cursor)
    rows = _run_rows(warehouse, where, limit + 1)
    runs = _summaries(warehouse, rows[:limit])
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor(CURSOR_KIND, runs[-1].started_at_ns, runs[-1].run_id)
    return RunPage(items=runs, next_cursor=next_cursor)


def get_run(warehouse: Warehouse, run_id: str, *, measurement_limit: int) -> RunDetail:
    """One run with its steps and its first ``measurement_limit`` points in time order.

    Raises:
        NotFound: no ``run.started`` of that id is in the warehouse.
    """
    where = Where()
    where.equals("run_id", run_id)
    rows = _run_rows(warehouse, where, 1)
    if not rows:
        raise NotFound("run", run_id)
    (summary,) = _summaries(warehouse, rows)
    points = _measurements(warehouse, summary, measurement_limit)
    return RunDetail(
        **msgspec.structs.asdict(summary),
        steps=_steps(warehouse, run_id),
        measurements=points,
        measurements_truncated=len(points) < summary.measurement_count,
    )


def _outcome_condition(warehouse: Warehouse, where: Where, outcome: str | None) -> None:
    ends = f"{warehouse.database}.run_ends"
    if outcome == "running":
        where.add(f"run_id NOT IN (SELECT run_id FROM {ends})")
    elif outcome is not None:
        where.add(
            f"run_id IN (SELECT run_id FROM {ends} FINAL WHERE outcome = {{outcome:String}})",
            outcome=outcome,
        )


def _run_rows(warehouse: Warehouse, where: Where, limit: int) -> list[Row]:
    sql = f"""
        SELECT {_COLUMNS} FROM {warehouse.database}.runs FINAL {where.sql()}
        ORDER BY started_at DESC, run_id DESC
        LIMIT 1 BY run_id LIMIT {{limit:UInt32}}
    """
    return warehouse.rows(sql, {**where.parameters, "limit": limit})


def _summaries(warehouse: Warehouse, rows: list[Row]) -> list[RunSummary]:
    if not rows:
        return []
    ids = [row["run_id"] for row in rows]
    stations = sorted({row["station_id"] for row in rows})
    ends = by_key(_ends(warehouse, ids), "run_id")
    points = by_key(_point_counts(warehouse, ids, stations), "run_id")
    steps = by_key(_step_counts(warehouse, ids), "run_id")
    summaries = []
    for row in rows:
        run_id = row["run_id"]
        end = ends.get(run_id, _NOT_ENDED)
        fields = with_times({**row, **end}, "started_at", "ended_at")
        fields["custom_metadata"] = _custom_metadata.decode(row["custom_metadata"] or "{}")
        fields["status"] = "running" if end["ended_at_ns"] is None else "ended"
        if end["ended_at_ns"] is not None and not end["duration_ns"]:
            fields["duration_ns"] = end["ended_at_ns"] - row["started_at_ns"]
        count = points.get(run_id, {})
        fields["measurement_count"] = count.get("measurement_count", 0)
        fields["failed_measurement_count"] = count.get("failed_measurement_count", 0)
        fields["step_count"] = steps.get(run_id, {}).get("step_count", 0)
        summaries.append(msgspec.convert(fields, RunSummary))
    return summaries


def _ends(warehouse: Warehouse, ids: list[str]) -> list[Row]:
    sql = f"""
        SELECT run_id, toUnixTimestamp64Nano(min(ended_at)) AS ended_at_ns,
               argMin(outcome, ended_at) AS outcome, argMin(error, ended_at) AS error,
               argMin(duration_ns, ended_at) AS duration_ns
        FROM {warehouse.database}.run_ends FINAL
        WHERE run_id IN {{ids:Array(String)}} GROUP BY run_id
    """
    return warehouse.rows(sql, {"ids": ids})


def _point_counts(warehouse: Warehouse, ids: list[str], stations: list[str]) -> list[Row]:
    sql = f"""
        SELECT run_id, count() AS measurement_count,
               countIf(outcome = 'failed') AS failed_measurement_count
        FROM {warehouse.database}.measurements FINAL
        WHERE station_id IN {{stations:Array(String)}} AND run_id IN {{ids:Array(String)}}
        GROUP BY run_id
    """
    return warehouse.rows(sql, {"ids": ids, "stations": stations})


def _step_counts(warehouse: Warehouse, ids: list[str]) -> list[Row]:
    sql = f"""
        SELECT run_id, uniqExact(step_id) AS step_count FROM {warehouse.database}.steps FINAL
        WHERE run_id IN {{ids:Array(String)}} GROUP BY run_id
    """
    return warehouse.rows(sql, {"ids": ids})


def _steps(warehouse: Warehouse, run_id: str) -> list[StepSummary]:
    sql = f"""
        SELECT step_id, any(name) AS name,
               toUnixTimestamp64Nano(minIfOrNull(at, phase = 'started')) AS started_at_ns,
               toUnixTimestamp64Nano(minIfOrNull(at, phase = 'ended')) AS ended_at_ns,
               anyIfOrNull(outcome, phase = 'ended') AS outcome,
               maxIfOrNull(duration_ns, phase = 'ended') AS duration_ns,
               anyIf(error, phase = 'ended') AS error
        FROM {warehouse.database}.steps FINAL WHERE run_id = {{run_id:String}}
        GROUP BY step_id ORDER BY started_at_ns ASC NULLS LAST, step_id
    """
    rows = warehouse.rows(sql, {"run_id": run_id})
    return [msgspec.convert(with_times(row, "started_at", "ended_at"), StepSummary) for row in rows]


def _measurements(warehouse: Warehouse, run: RunSummary, limit: int) -> list[MeasurementPoint]:
    sql = f"""
        SELECT name, toUnixTimestamp64Nano(ts) AS ts_ns, value, value_str, value_kind, unit,
               low, high, outcome, step
        FROM {warehouse.database}.measurements FINAL
        WHERE station_id = {{station_id:String}} AND run_id = {{run_id:String}}
        ORDER BY ts, event_id, point_index LIMIT {{limit:UInt32}}
    """
    parameters = {"station_id": run.station_id, "run_id": run.run_id, "limit": limit}
    return [_point(row) for row in warehouse.rows(sql, parameters)]


def _point(row: Row) -> MeasurementPoint:
    return MeasurementPoint(
        name=row["name"],
        ts=ns_to_datetime(row["ts_ns"]),
        ts_ns=row["ts_ns"],
        value=finite(row["value"]),
        value_str=row["value_str"],
        value_kind=row["value_kind"],
        unit=row["unit"],
        low=row["low"],
        high=row["high"],
        outcome=row["outcome"],
        step=row["step"],
    )

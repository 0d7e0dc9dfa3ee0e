"""A run's summary: its row of ``runs`` and what other tables say of it, read apart.

Plain reads of one table each, put together here: the runs' own columns (``LIMIT 1 BY``
the run: a replayed copy once), their first ends (``min``/``argMin``: a copy changes
neither), their step counts (``uniqExact`` of step ids) and their point counts
(summed from ``run_points``: :func:`~.point_counts.tallied`) unless the caller has read
them. One statement joining ``runs`` with its ends and looking the counts up took longer
in chDB than its parts read apart (a page of 100 runs: 27-40 ms against 12 + 7 + 8, the
join and the lookups' planning being the difference), and the parts can run at once:
:func:`read_rows` and :func:`read_table` read them side by side on the warehouse's
clients (:meth:`~benchtrail.projector.Warehouse.together`). The fields taken from the
ends and counts are made by one function, :meth:`RunFacts.fields`, for JSON rows and
Arrow columns alike (:func:`complete_rows`, :func:`complete_table`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

import msgspec
import pyarrow as pa

from benchtrail.api.models.entities import RunSummary
from benchtrail.api.queries._sql import Column, Nesting, Row, select_list, with_fields, with_times
from benchtrail.api.queries.point_counts import PointCounts, page_points
from benchtrail.projector import Warehouse
from benchtrail.schemas import CustomValue

__all__ = [
    "FACT_FIELDS",
    "RUN_OWN_COLUMNS",
    "PointsRead",
    "RunEnd",
    "RunFacts",
    "RunIds",
    "complete_rows",
    "complete_table",
    "page_point_counts",
    "read_rows",
    "read_table",
    "run_ends",
    "step_counts",
    "summary_fields",
    "summary_from_row",
    "with_facts",
]

RUN_OWN_COLUMNS: tuple[Column, ...] = (
    *(
        Column(name, name)
        for name in (
            "run_id",
            "session_id",
            "station_id",
            "dut_serial",
            "dut_part_number",
            "dut_revision",
            "dut_lot_number",
            "product_id",
            "product_name",
            "product_revision",
            "slot_id",
        )
    ),
    Column("slot_index", "toInt64(slot_index)"),
    *(
        Column(name, name)
        for name in (
            "fixture_id",
            "test_phase",
            "project_name",
            "git_commit",
            "git_branch",
            "git_remote",
            "git_dirty",
            "python_version",
        )
    ),
    Column("packages", "packages", "map"),
    Column("custom_metadata", "custom_metadata"),
    Column("channel_refs", "channel_refs", "list"),
    Column("started_at", "started_at"),
    Column("started_at_ns", "toUnixTimestamp64Nano(started_at)"),
    Column("structured_metadata", "structured_metadata"),
)
"""The columns of a run summary that ``runs`` holds (the others: :data:`FACT_FIELDS`)."""

FACT_FIELDS: tuple[pa.Field[Any], ...] = (
    pa.field("ended_at", pa.timestamp("ns", "UTC")),
    pa.field("ended_at_ns", pa.int64()),
    pa.field("status", pa.string(), nullable=False),
    pa.field("outcome", pa.string()),
    pa.field("error", pa.string(), nullable=False),
    pa.field("duration_ns", pa.int64()),
    pa.field("measurement_count", pa.int64(), nullable=False),
    pa.field("failed_measurement_count", pa.int64(), nullable=False),
    pa.field("step_count", pa.int64(), nullable=False),
)
"""The columns of a run summary made from its ends and counts, as Arrow fields."""

_Own = TypeVar("_Own")

_KEYS = ("run_id", "started_at_ns")
"""The own columns :meth:`RunFacts.fields` needs."""

_custom_metadata = msgspec.json.Decoder(dict[str, CustomValue])
_structured_metadata = msgspec.json.Decoder(dict[str, object])


class RunIds(msgspec.Struct, frozen=True):
    """The runs of a page, in page order, and the stations they ran on."""

    ids: list[str]
    stations: list[str]


class RunEnd(NamedTuple):
    """A run's first ``run.ended``: when, with what verdict and error, after how long
    (0: not said; the summary then counts from the start)."""

    at_ns: int
    outcome: str
    error: str
    duration_ns: int


_NO_POINTS = PointCounts(totals={}, failed={})
"""No point counted (a caller that counts them from what it reads anyway)."""


@dataclass(frozen=True)
class RunFacts:
    """What other tables say of runs, by run id: first ends, point counts, step counts."""

    ends: dict[str, RunEnd]
    points: PointCounts = _NO_POINTS
    steps: dict[str, int] = field(default_factory=dict)

    def fields(self, run: Row) -> Row:
        """The :data:`FACT_FIELDS` of ``run`` (its ``run_id`` and ``started_at_ns``):
        while it has no end, it is running, without outcome or duration."""
        run_id = run["run_id"]
        end = self.ends.get(run_id)
        counts = {
            "measurement_count": self.points.totals.get(run_id, 0),
            "failed_measurement_count": self.points.failed.get(run_id, 0),
            "step_count": self.steps.get(run_id, 0),
        }
        if end is None:
            return {
                "ended_at": None,
                "ended_at_ns": None,
                "status": "running",
                "outcome": None,
                "error": "",
                "duration_ns": None,
                **counts,
            }
        return {
            "ended_at": end.at_ns,
            "ended_at_ns": end.at_ns,
            "status": "ended",
            "outcome": end.outcome,
            "error": end.error,
            "duration_ns": end.duration_ns or end.at_ns - run["started_at_ns"],
            **counts,
        }


def run_ends(warehouse: Warehouse, condition: str, parameters: Row) -> dict[str, RunEnd]:
    """The first end of each run ``condition`` (on ``run_ends``) selects."""
    rows = warehouse.rows(
        f"""
        SELECT run_id, toUnixTimestamp64Nano(min(ended_at)) AS at_ns,
               argMin(outcome, ended_at) AS outcome, argMin(error, ended_at) AS error,
               argMin(duration_ns, ended_at) AS duration_ns
        FROM {warehouse.database}.run_ends WHERE {condition} GROUP BY run_id
        """,
        parameters,
    )
    return {
        row["run_id"]: RunEnd(row["at_ns"], row["outcome"], row["error"], row["duration_ns"])
        for row in rows
    }


def step_counts(warehouse: Warehouse, ids: Sequence[str]) -> dict[str, int]:
    """How many steps each of the runs ``ids`` has (runs without steps left out)."""
    if not ids:
        return {}
    rows = warehouse.rows(
        f"""
        SELECT toString(run_id) AS run_id, uniqExact(step_id) AS step_count
        FROM {warehouse.database}.steps WHERE run_id IN {{ids:Array(String)}} GROUP BY run_id
        """,
        {"ids": list(ids)},
    )
    return {row["run_id"]: int(row["step_count"]) for row in rows}


def page_point_counts(warehouse: Warehouse, page: RunIds) -> PointCounts:
    """How many points each run of ``page`` has, and how many failed (one read)."""
    if not page.ids:
        return PointCounts(totals={}, failed={})
    return page_points(warehouse, page.stations, page.ids)


PointsRead = PointCounts | Callable[[], PointCounts]
"""Point counts a caller has read, or the read that gives them (run with the others)."""


def read_rows(
    warehouse: Warehouse,
    page: RunIds,
    *,
    points: PointsRead | None = None,
    ends: dict[str, RunEnd] | None = None,
    counted: bool = True,
    order: str = "DESC",
) -> tuple[list[Row], RunFacts]:
    """The own columns of the runs of ``page`` (newest first, or oldest with
    ``order="ASC"``; ``native`` nesting) and their facts, all read at once
    (:meth:`~benchtrail.projector.Warehouse.together`).

    ``points``/``ends``: what the caller has read (``page.stations`` is then not needed)
    or, for ``points``, the read that gives them. Without ``counted``, no step or point
    is counted (0, for a caller who counts them from what it reads anyway).
    """
    rows, facts = _read(
        warehouse,
        page,
        lambda: warehouse.rows(_own_sql(warehouse, "native"), {"ids": page.ids}),
        points=points,
        ends=ends,
        counted=counted,
    )
    if order == "ASC":
        rows.reverse()
    return rows, facts


def read_table(
    warehouse: Warehouse,
    page: RunIds,
    nesting: Nesting,
    *,
    points: PointsRead | None = None,
    order: str = "DESC",
) -> tuple[pa.Table, RunFacts]:
    """What :func:`read_rows` reads, the own columns as an Arrow table shaped for
    ``nesting``."""
    own, facts = _read(
        warehouse,
        page,
        lambda: warehouse.arrow(_own_sql(warehouse, nesting), {"ids": page.ids}),
        points=points,
        ends=None,
        counted=True,
    )
    if order == "ASC":
        own = own.take(pa.array(range(own.num_rows - 1, -1, -1), pa.int64()))
    return own, facts


def _read(
    warehouse: Warehouse,
    page: RunIds,
    own: Callable[[], _Own],
    *,
    points: PointsRead | None,
    ends: dict[str, RunEnd] | None,
    counted: bool,
) -> tuple[_Own, RunFacts]:
    if not page.ids:  # an empty page: its columns, nothing to count
        return own(), RunFacts(ends={})
    # The longest read first (points, then the own columns): the pool's two clients then
    # finish about together.
    calls: dict[str, Callable[[], Any]] = {}
    if counted and points is None:
        calls["points"] = lambda: page_point_counts(warehouse, page)
    elif counted and callable(points):
        calls["points"] = points
    calls["own"] = own
    if ends is None:
        parameters = {"ids": page.ids}
        calls["ends"] = lambda: run_ends(warehouse, "run_id IN {ids:Array(String)}", parameters)
    if counted:
        calls["steps"] = lambda: step_counts(warehouse, page.ids)
    got = dict(zip(calls, warehouse.together(*calls.values()), strict=True))
    known = points if isinstance(points, PointCounts) else _NO_POINTS
    facts = RunFacts(
        ends=got.get("ends", ends or {}),
        points=got.get("points", known),
        steps=got.get("steps", {}),
    )
    return got["own"], facts


def complete_rows(
    rows: list[Row], facts: RunFacts, extra: Callable[[Row], Row] | None = None
) -> list[RunSummary]:
    """The summaries of the own ``rows`` of :func:`read_rows`, given their ``facts``."""
    return [summary_from_row(row) for row in with_facts(rows, facts, extra)]


def with_facts(
    rows: list[Row], facts: RunFacts, extra: Callable[[Row], Row] | None = None
) -> list[Row]:
    """``rows`` (own columns, ``native``) with every summary column, and ``extra``'s."""
    for row in rows:
        row.update(facts.fields(row))
        if extra is not None:
            row.update(extra(row))
    return rows


def complete_table(
    own: pa.Table,
    facts: RunFacts,
    *,
    extra_fields: Sequence[pa.Field[Any]] = (),
    extra: Callable[[Row], Row] | None = None,
) -> pa.Table:
    """The own columns of :func:`read_table` with every summary column, in
    :class:`RunSummary`'s order, then ``extra_fields`` (made by ``extra`` from a row's
    ``run_id`` and ``started_at_ns``)."""

    def derive(row: Row) -> Row:
        return {**facts.fields(row), **(extra(row) if extra is not None else {})}

    return with_fields(
        own,
        _KEYS,
        (*FACT_FIELDS, *extra_fields),
        (*RunSummary.__struct_fields__, *(added.name for added in extra_fields)),
        derive,
    )


def summary_from_row(row: Row) -> RunSummary:
    """A :class:`RunSummary` from a row of :func:`with_facts`."""
    return msgspec.convert(summary_fields(row), RunSummary)


def summary_fields(row: Row) -> Row:
    """A summary row with its times as UTC datetimes and its custom metadata decoded."""
    fields = with_times(row, "started_at", "ended_at")
    fields["custom_metadata"] = _custom_metadata.decode(row["custom_metadata"] or "{}")
    structured = row.get("structured_metadata")
    fields["structured_metadata"] = _structured_metadata.decode(structured or "{}")
    return fields


def _own_sql(warehouse: Warehouse, nesting: Nesting) -> str:
    """The own columns of the runs ``{ids}``, newest first (ties by id), each run once (its
    newest copy). One level: a subquery that kept one row per run took ~3 ms longer."""
    return f"""
        SELECT {select_list(RUN_OWN_COLUMNS, nesting)}
        FROM {warehouse.database}.runs WHERE run_id IN {{ids:Array(String)}}
        ORDER BY runs.started_at DESC, runs.run_id DESC, event_id DESC LIMIT 1 BY runs.run_id
    """

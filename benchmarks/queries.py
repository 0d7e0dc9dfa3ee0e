"""Query benchmark: dashboard and analytics latency over 10M measurement rows.

Loads a factory's month straight into the warehouse tables (Arrow tables through
``Warehouse.insert_arrow``, in large chunks, as the projector writes them):
sessions, runs, run_ends, steps, measurements and their counts per run (``run_points``,
as the projector keeps them), and the events' own rows (``events``: the lifecycle events'
envelopes and text; ``measurement_events``: one envelope per point, as a paced station's
frames give them) and the seqs each session stored (``session_seqs``, kept by views).
100,000 runs on 8 stations, 4 part numbers, 3 test phases, 2 fixtures per station, 100 scalar
measurements
per run (10M points) in 5 steps; about 7 % of first runs fail (skewed towards a
few measurements), most failed DUTs are retested, 1 % of runs end in error and
0.5 % are aborted.

Then it serves the API (Litestar on uvicorn, in this process, over the same
warehouse) and times every dashboard and analytics request through HTTP with
httpx: p50/p95 over ``--reps`` repetitions each (after one warm-up call). The SQL a
request runs is recorded during its warm-up call and run again straight on one
warehouse client, one statement after the other (``raw_query``, Native format: no HTTP,
no Python rows, no JSON) as many times: its p95 is the raw limit the request is compared
to, in the same run. A request that runs its reads at once on the warehouse's two
clients (``Warehouse.together``) can beat it: a ratio under 1.
Each request has a target p95 (``TARGETS_MS``); the table marks misses, and
``--json FILE`` writes every figure with the machine it was taken on.

    uv run python benchmarks/queries.py                       # 100k runs, 10M points
    uv run python benchmarks/queries.py --runs 20000 --reps 10
    uv run python benchmarks/queries.py --data /tmp/bt-q      # keep (or reuse) the data
    uv run python benchmarks/queries.py --data /tmp/bt-q --skip-merge  # reuse as loaded
    uv run python benchmarks/queries.py --json /tmp/queries.json
    uv run python benchmarks/queries.py --skip-unmerged \\
        --measurements-settings "index_granularity = 1024, min_compress_block_size = 8192"
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import os
import resource
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import run_facts
import uuid_utils
import uvicorn

from benchtrail.api.http import create_app
from benchtrail.api.hub.embedded import startup_frozen
from benchtrail.projector import Warehouse, open_warehouse, point_tallies, session_seqs
from benchtrail.projector.table_model import TS
from benchtrail.projector.tables import SCHEMAS, TABLES

S = 1_000_000_000
DAY = 86_400 * S
STATIONS = [f"cell-{i:02d}" for i in range(1, 9)]
PARTS = [
    ("PWR-5V", "P-100", "Power supply 5 V"),
    ("PWR-12V", "P-120", "Power supply 12 V"),
    ("CHG-20W", "P-200", "Charger 20 W"),
    ("BMS-4S", "P-400", "Battery monitor 4S"),
]
PART_WEIGHTS = [0.4, 0.3, 0.2, 0.1]
PHASES = ["ict", "functional", "final"]
STEPS = ["power", "rails", "comms", "load", "calibration"]
NAMES_PER_STEP = 20
NAMES = ["vout", *[f"{step}_{j:02d}" for step in STEPS for j in range(NAMES_PER_STEP)][1:]]
UNITS = ["V", "A", "mV", "ohm", "s"]
POINT_GAP_NS = 300_000_000
"""Time between two measurements of a run (0.3 s): a run lasts about 30 s."""
STEP_EVENTS = 2 + NAMES_PER_STEP
"""A step's events: ``step.started``, one ``measurement`` per name, ``step.ended``."""
RUN_EVENTS = 2 + len(STEPS) * STEP_EVENTS
"""A run's events (``seq`` numbers): ``run.started``, its steps', ``run.ended``."""


@dataclass
class Plan:
    """Every run of the data set, one numpy element per run, in start time order."""

    run_ids: list[str]
    session_index: np.ndarray
    session_ids: list[str]
    session_starts: np.ndarray
    session_stations: np.ndarray
    station: np.ndarray
    started_at: np.ndarray
    serial: list[str]
    part: np.ndarray
    phase: np.ndarray
    fixture: np.ndarray
    outcome: np.ndarray
    failing_name: np.ndarray


def _uuids(n: int) -> list[str]:
    return [str(uuid_utils.uuid7()) for _ in range(n)]


def plan_runs(runs: int, days: int, seed: int) -> Plan:
    """Decide every run: where, when, which DUT, and what fails."""
    rng = np.random.default_rng(seed)
    end = (time.time_ns() // DAY) * DAY + DAY // 2
    started_at = np.sort(rng.integers(end - days * DAY, end, runs))
    station = rng.integers(0, len(STATIONS), runs)
    day = (started_at - (end - days * DAY)) // DAY
    session_key = day * len(STATIONS) + station
    keys, session_index = np.unique(session_key, return_inverse=True)
    session_starts = np.array(
        [started_at[session_index == i].min() - 60 * S for i in range(len(keys))]
    )
    # what fails: ~6 % of runs push one measurement (Zipf-skewed) beyond its limit
    failing_name = np.where(
        rng.random(runs) < 0.06, np.minimum(rng.zipf(1.6, runs) - 1, len(NAMES) - 1), -1
    )
    outcome = np.where(failing_name >= 0, 1, 0)  # 0 passed 1 failed 2 error 3 aborted
    other = rng.random(runs)
    outcome = np.where((outcome == 0) & (other < 0.01), 2, outcome)
    outcome = np.where((outcome == 0) & (other > 0.995), 3, outcome)
    # a DUT that did not pass is retested by the next run 80 % of the time
    retest = np.zeros(runs, dtype=bool)
    retest[1:] = (outcome[:-1] != 0) & (rng.random(runs - 1) < 0.8)
    dut = np.cumsum(~retest) - 1
    dut_part = rng.choice(len(PARTS), dut[-1] + 1, p=PART_WEIGHTS)
    dut_phase = rng.integers(0, len(PHASES), dut[-1] + 1)
    return Plan(
        run_ids=_uuids(runs),
        session_index=session_index,
        session_ids=_uuids(len(keys)),
        session_starts=session_starts,
        session_stations=keys % len(STATIONS),
        station=station,
        started_at=started_at,
        serial=[f"SN{d:08d}" for d in dut],
        part=dut_part[dut],
        phase=dut_phase[dut],
        fixture=station * 2 + rng.integers(0, 2, runs),
        outcome=outcome,
        failing_name=failing_name,
    )


def _dict(codes: np.ndarray, values: list[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(
        pa.array(codes, pa.int32()), pa.array(values, pa.string())
    )


def _ts(ns: np.ndarray) -> pa.Array:
    return pa.array(ns.astype(np.int64), pa.int64()).view(pa.timestamp("ns", tz="UTC"))


def _table(name: str, columns: dict[str, object]) -> pa.Table:
    schema = SCHEMAS[name]
    arrays = []
    for declared in schema:
        column = columns[declared.name]
        array = column if isinstance(column, pa.Array) else pa.array(column)
        arrays.append(array.cast(declared.type) if array.type != declared.type else array)
    return pa.Table.from_arrays(arrays, schema=schema)


def _constant(value: object, n: int, kind: pa.DataType) -> pa.Array:
    return pa.repeat(pa.scalar(value, kind), n)


OUTCOMES = ["passed", "failed", "error", "aborted"]
_EMPTY_SESSION_COLUMNS = [
    "station_name",
    "station_type",
    "station_location",
    "hostname",
    "client_name",
    "client_version",
    "operator_id",
    "operator_name",
    "fixture_id",
    "git_commit",
    "git_branch",
    "git_remote",
    "python_version",
]
FIXTURES = [f"{s}-fx{k}" for s in STATIONS for k in range(2)]


def session_tables(plan: Plan) -> tuple[pa.Table, pa.Table]:
    """The ``sessions`` and ``session_ends`` rows: one session per station and day."""
    n = len(plan.session_ids)
    stations = [STATIONS[i] for i in plan.session_stations]
    ends = np.array([plan.started_at[plan.session_index == i].max() + 120 * S for i in range(n)])
    text = pa.string()
    sessions = {
        "session_id": plan.session_ids,
        "station_id": stations,
        "session_type": _constant("pytest", n, text),
        **{column: _constant("", n, text) for column in _EMPTY_SESSION_COLUMNS},
        "hostname": [f"{s}-pc" for s in stations],
        "operator_id": [f"op-{i % 5}" for i in range(n)],
        "pid": _constant(1000, n, pa.uint32()),
        "slot_count": _constant(1, n, pa.uint32()),
        "device_ids": pa.array([[] for _ in range(n)], pa.list_(pa.string())),
        "git_dirty": _constant(False, n, pa.bool_()),
        "packages": pa.array([[] for _ in range(n)], SCHEMAS["sessions"].field("packages").type),
        "started_at": _ts(plan.session_starts),
        "event_id": _uuids(n),
        "stream_seq": _constant(1, n, pa.uint64()),
    }
    session_ends = {
        "session_id": plan.session_ids,
        "station_id": stations,
        "ended_at": _ts(ends),
        "run_count": np.bincount(plan.session_index, minlength=n).astype(np.uint32),
        "event_count": (2 + RUN_EVENTS * np.bincount(plan.session_index, minlength=n)).astype(
            np.uint64
        ),
        "reason": _constant("finished", n, text),
        "event_id": _uuids(n),
        "stream_seq": _constant(1, n, pa.uint64()),
    }
    return _table("sessions", sessions), _table("session_ends", session_ends)


def run_tables(plan: Plan, rows: slice) -> tuple[pa.Table, pa.Table]:
    """The ``runs`` and ``run_ends`` rows of a slice of the plan."""
    ids = plan.run_ids[rows]
    n = len(ids)
    text = pa.string()
    part = plan.part[rows]
    station = _dict(plan.station[rows], STATIONS)
    session = pa.array([plan.session_ids[i] for i in plan.session_index[rows]])
    started = plan.started_at[rows]
    duration = np.full(n, len(NAMES) * POINT_GAP_NS + 2 * S, dtype=np.int64)
    runs = {
        "run_id": ids,
        "session_id": session,
        "station_id": station,
        "started_at": _ts(started),
        "dut_serial": plan.serial[rows],
        "dut_part_number": _dict(part, [p[0] for p in PARTS]),
        "dut_revision": _constant("A", n, text),
        "dut_lot_number": [f"L{i // 500:05d}" for i in range(rows.start, rows.start + n)],
        "product_id": _dict(part, [p[1] for p in PARTS]),
        "product_name": _dict(part, [p[2] for p in PARTS]),
        "product_revision": _constant("1", n, text),
        "slot_id": _constant("", n, text),
        "slot_index": _constant(0, n, pa.uint32()),
        "fixture_id": _dict(plan.fixture[rows], FIXTURES),
        "test_phase": _dict(plan.phase[rows], PHASES),
        "project_name": _constant("eol", n, text),
        **{c: _constant("", n, text) for c in ("git_commit", "git_branch", "git_remote")},
        "git_dirty": _constant(False, n, pa.bool_()),
        "python_version": _constant("3.11.9", n, text),
        "packages": pa.array([[] for _ in range(n)], SCHEMAS["runs"].field("packages").type),
        "custom_metadata": _constant("{}", n, text),
        "channel_refs": pa.array([[] for _ in range(n)], pa.list_(pa.string())),
        "parameters": _constant("{}", n, text),
        "structured_metadata": _constant("", n, text),
        "event_id": _uuids(n),
        "stream_seq": _constant(1, n, pa.uint64()),
    }
    outcome = plan.outcome[rows]
    ends = {
        "run_id": ids,
        "session_id": session,
        "station_id": station,
        "ended_at": _ts(started + duration),
        "outcome": _dict(outcome, OUTCOMES),
        "measurement_count": _constant(len(NAMES), n, pa.uint64()),
        "failed_measurement_count": (outcome == 1).astype(np.uint64),
        "step_count": _constant(len(STEPS), n, pa.uint32()),
        "duration_ns": duration.astype(np.uint64),
        "error": np.where(outcome == 2, "instrument timeout", "").tolist(),
        "event_id": _uuids(n),
        "stream_seq": _constant(1, n, pa.uint64()),
    }
    return _table("runs", runs), _table("run_ends", ends)


def step_table(plan: Plan, rows: slice) -> pa.Table:
    """The ``steps`` rows of a slice: a started and an ended row for each of 5 steps."""
    n = rows.stop - rows.start
    k = len(STEPS)
    run = np.repeat(np.arange(rows.start, rows.stop), 2 * k)
    step = np.tile(np.repeat(np.arange(k), 2), n)
    ended = np.tile([0, 1], n * k).astype(bool)
    step_ns = NAMES_PER_STEP * POINT_GAP_NS
    at = plan.started_at[run] + step * step_ns + ended * step_ns
    failing_step = np.where(plan.failing_name >= 0, plan.failing_name // NAMES_PER_STEP, -1)
    failed = ended & (failing_step[run] == step)
    errored = ended & (plan.outcome[run] == 2) & (step == k - 1)
    outcome = np.where(failed, 1, np.where(errored, 2, 0))
    step_ids = pa.array(_uuids(n * k))
    per_row = np.repeat(np.arange(n * k), 2)
    run_ids = pa.array(plan.run_ids[rows.start : rows.stop])
    local = run - rows.start
    return _table(
        "steps",
        {
            "step_id": step_ids.take(pa.array(per_row)),
            "run_id": run_ids.take(pa.array(local)),
            "session_id": pa.array(plan.session_ids).take(pa.array(plan.session_index[run])),
            "station_id": _dict(plan.station[run], STATIONS),
            "name": _dict(step, STEPS),
            "phase": _dict(ended.astype(np.int32), ["started", "ended"]),
            "at": _ts(at),
            "outcome": pa.DictionaryArray.from_arrays(
                pa.array(np.where(ended, outcome, 3), pa.int32()),
                pa.array(["passed", "failed", "error", ""]),
            ),
            "duration_ns": np.where(ended, step_ns, 0).astype(np.uint64),
            "error": np.where(errored, "instrument timeout", "").tolist(),
            "event_id": _uuids(2 * n * k),
            "stream_seq": _constant(1, 2 * n * k, pa.uint64()),
        },
    )


@dataclass
class Spec:
    """Per measurement name: mean, sigma and limits (some one-sided, some without)."""

    mean: np.ndarray
    sigma: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def make(cls, seed: int) -> Spec:
        rng = np.random.default_rng(seed + 1)
        m = len(NAMES)
        mean = rng.uniform(1, 20, m)
        mean[0] = 5.0
        sigma = mean * rng.uniform(0.002, 0.01, m)
        k = np.linspace(3.6, 6.0, m)  # the first names fail on their own now and then
        low = mean - k * sigma
        high = mean + k * sigma
        low[np.arange(m) % 10 == 9] = np.nan  # one-sided: high limit only
        none = np.arange(m) % 10 == 8  # no limits
        low[none] = np.nan
        high[none] = np.nan
        return cls(mean, sigma, low, high)


def measurement_table(plan: Plan, spec: Spec, rows: slice, seed: int) -> pa.Table:
    """The ``measurements`` rows of a slice: one point per name per run."""
    rng = np.random.default_rng(seed + rows.start)
    n, m = rows.stop - rows.start, len(NAMES)
    run = np.repeat(np.arange(rows.start, rows.stop), m)
    name = np.tile(np.arange(m), n)
    value = rng.normal(spec.mean[name], spec.sigma[name])
    forced = plan.failing_name[run] == name
    has_high = ~np.isnan(spec.high[name])
    beyond = np.where(has_high, spec.high[name], spec.mean[name]) + 2 * spec.sigma[name]
    value = np.where(forced, beyond, value)
    low, high = spec.low[name], spec.high[name]
    failed = (value < np.nan_to_num(low, nan=-np.inf)) | (value > np.nan_to_num(high, nan=np.inf))
    limited = ~(np.isnan(low) & np.isnan(high))
    outcome = np.where(limited, np.where(failed, 1, 0), 2)
    run_ids = pa.array(plan.run_ids[rows.start : rows.stop])
    local = pa.array(run - rows.start)
    suffix = pa.array([f"-{j:02x}" for j in range(m)])
    run_id = run_ids.take(local)
    return _table(
        "measurements",
        {
            "station_id": _dict(plan.station[run], STATIONS),
            "session_id": pa.array(plan.session_ids).take(pa.array(plan.session_index[run])),
            "run_id": run_id,
            "name": _dict(name, NAMES),
            "ts": _ts(plan.started_at[run] + (name + 1) * POINT_GAP_NS),
            "value": value,
            "value_str": _constant("", n * m, pa.string()),
            "value_kind": _constant("float", n * m, pa.string()),
            "unit": _dict(name % len(UNITS), UNITS),
            "low": pa.array(low, from_pandas=True),
            "high": pa.array(high, from_pandas=True),
            "outcome": _dict(outcome, ["passed", "failed", "unset"]),
            "step": _dict(name // NAMES_PER_STEP, STEPS),
            "event_id": pc.binary_join_element_wise(run_id, suffix.take(pa.array(name)), ""),
            "point_index": _constant(0, n * m, pa.uint32()),
            "stream_seq": _constant(1, n * m, pa.uint64()),
            "description": _constant("", n * m, pa.string()),
            "marginal_low": pa.nulls(n * m, pa.float64()),
            "marginal_high": pa.nulls(n * m, pa.float64()),
            "marginal": _constant(False, n * m, pa.bool_()),
        },
    )


def run_ranks(plan: Plan) -> np.ndarray:
    """Each run's place in its session (0 for the first): its events' ``seq`` follow it."""
    order = np.argsort(plan.session_index, kind="stable")  # runs are in start time order
    counts = np.bincount(plan.session_index)
    firsts = np.repeat(np.cumsum(counts) - counts, counts)
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order)) - firsts
    return ranks


def _event_table(envelopes: dict[str, Any], tail: list[Any]) -> pa.Table:
    """``events`` rows of ``envelopes`` (id, session, station, seq, type, time, run), each
    with a JSON-like text of its envelope and ``tail`` (the size of a real event's text)."""
    n = len(envelopes["event_id"])
    texts = [pc.cast(envelopes[c], pa.string()) for c in ("station_id", "type")]
    payload = pc.binary_join_element_wise(
        '{"event_id":"', envelopes["event_id"], '","session_id":"', envelopes["session_id"],
        '","station_id":"', texts[0], '","type":"', texts[1], '","seq":',
        pc.cast(pa.array(envelopes["seq"]), pa.string()), *tail, "",
    )  # fmt: skip
    return _table(
        "events",
        {
            **envelopes,
            "schema_version": _constant(1, n, pa.uint16()),
            "payload": payload,
            "stream_seq": _constant(1, n, pa.uint64()),
        },
    )


def session_event_table(plan: Plan) -> pa.Table:
    """The ``events`` rows of each session's ``session.started`` and ``session.ended``."""
    n = len(plan.session_ids)
    runs = np.bincount(plan.session_index, minlength=n)
    ends = np.array([plan.started_at[plan.session_index == i].max() + 120 * S for i in range(n)])
    envelopes = {
        "event_id": pa.array(_uuids(2 * n)),
        "session_id": pa.array(plan.session_ids * 2),
        "station_id": _dict(np.tile(plan.session_stations, 2), STATIONS),
        "seq": np.concatenate([np.ones(n, np.uint64), (2 + RUN_EVENTS * runs).astype(np.uint64)]),
        "type": _dict(np.repeat([0, 1], n), ["session.started", "session.ended"]),
        "occurred_at": _ts(np.concatenate([plan.session_starts, ends])),
        "run_id": _constant("", 2 * n, pa.string()),
    }
    tail = [
        ',"station":{"name":"","type":"","location":""},"process":{"pid":1000},'
        '"operator":{"id":"op-1","name":""},"git":{},"environment":{}}'
    ]
    return _event_table(envelopes, tail)


_RUN_TYPES = ["run.started", "step.started", "step.ended", "run.ended"]


def run_event_tables(plan: Plan, rows: slice, ranks: np.ndarray) -> pa.Table:
    """The ``events`` rows of a slice, as the projector writes them for a station's run:
    ``run.started``, per step ``step.started``, its points (:func:`envelope_table`) and
    ``step.ended``, then ``run.ended``; ``seq`` counted through the session."""
    k = len(STEPS)
    run = np.arange(rows.start, rows.stop)
    base = 2 + ranks[run] * RUN_EVENTS
    # lifecycle events: run.started, (step.started, step.ended) per step, run.ended
    step = np.arange(k)
    starts_ends = np.stack([1 + step * STEP_EVENTS, (step + 1) * STEP_EVENTS], axis=1)
    offsets = np.concatenate([[0], starts_ends.ravel(), [RUN_EVENTS - 1]])
    kinds = np.concatenate([[0], np.tile([1, 2], k), [3]])
    step_ns = NAMES_PER_STEP * POINT_GAP_NS
    step_times = np.stack([step * step_ns, (step + 1) * step_ns], axis=1)
    times = np.concatenate([[0], step_times.ravel(), [len(NAMES) * POINT_GAP_NS + 2 * S]])
    per_run = len(offsets)
    which = np.repeat(run, per_run)
    n = len(which)
    names = _dict(np.concatenate([[0], np.repeat(step, 2) + 1, [0]]), ["", *STEPS])
    run_ids = pa.array(plan.run_ids).take(pa.array(which))
    envelopes = {
        "event_id": pa.array(_uuids(n)),
        "session_id": pa.array(plan.session_ids).take(pa.array(plan.session_index[which])),
        "station_id": _dict(plan.station[which], STATIONS),
        "seq": (np.repeat(base, per_run) + np.tile(offsets, len(run))).astype(np.uint64),
        "type": _dict(np.tile(kinds, len(run)), _RUN_TYPES),
        "occurred_at": _ts(plan.started_at[which] + np.tile(times, len(run))),
        "run_id": run_ids,
    }
    step_names = pc.cast(pa.chunked_array([names] * len(run)).combine_chunks(), pa.string())
    tail = [',"run_id":"', run_ids, '","name":"', step_names,
            '","dut":{"serial":"SN00000000","part_number":"PWR-5V","revision":"A"}}']  # fmt: skip
    return _event_table(envelopes, tail)


def envelope_table(plan: Plan, points: pa.Table, rows: slice, ranks: np.ndarray) -> pa.Table:
    """The ``measurement_events`` rows of a slice's points: one envelope per point. A run's
    points are 0.3 s apart and a station cuts a frame 5 ms after its first event
    (``linger``), so each point travels alone (a ``measurement.series`` of one) and the
    projector writes an envelope for each, under the point's own event id."""
    m = len(NAMES)
    run = np.repeat(np.arange(rows.start, rows.stop), m)
    name = np.tile(np.arange(m), rows.stop - rows.start)
    seq = 2 + ranks[run] * RUN_EVENTS + 2 + (name // NAMES_PER_STEP) * STEP_EVENTS
    n = len(run)
    return _table(
        "measurement_events",
        {
            "event_id": points.column("event_id").combine_chunks(),
            "session_id": points.column("session_id").combine_chunks(),
            "station_id": points.column("station_id").combine_chunks(),
            "seq": (seq + name % NAMES_PER_STEP).astype(np.uint64),
            "type": _constant("measurement", n, pa.string()),
            "occurred_at": points.column("ts").combine_chunks(),
            "schema_version": _constant(1, n, pa.uint16()),
            "run_id": points.column("run_id").combine_chunks(),
            "name": points.column("name").combine_chunks(),
            "per_point_names": _constant(False, n, pa.bool_()),
            "stream_seq": _constant(1, n, pa.uint64()),
            "more_events": _constant(0, n, pa.uint32()),
            "point_times": pa.ListArray.from_arrays(
                pa.array(np.zeros(n + 1, dtype=np.int32)), pa.array([], pa.int64()).view(TS)
            ),
            "last_at": points.column("ts").combine_chunks(),
        },
    )


def load(warehouse: Warehouse, runs: int, days: int, chunk: int, seed: int) -> dict[str, int]:
    """Generate and insert the whole data set; return rows written per table."""
    plan = plan_runs(runs, days, seed)
    spec = Spec.make(seed)
    counts: dict[str, int] = {}

    def insert(table: str, arrow: pa.Table) -> None:
        warehouse.insert_arrow(table, arrow)
        counts[table] = counts.get(table, 0) + arrow.num_rows

    sessions, session_ends = session_tables(plan)
    insert("sessions", sessions)
    insert("events", session_event_table(plan))
    ranks = run_ranks(plan)
    for start in range(0, runs, chunk):
        rows = slice(start, min(runs, start + chunk))
        started, ended = run_tables(plan, rows)
        insert("runs", started)
        insert("steps", step_table(plan, rows))
        insert("events", run_event_tables(plan, rows, ranks))
        points = measurement_table(plan, spec, rows, seed)
        insert("measurements", points)
        insert(point_tallies.TABLE, point_tallies.tally_table(points))  # as the projector does
        insert("measurement_events", envelope_table(plan, points, rows, ranks))
        insert("run_ends", ended)
    insert("session_ends", session_ends)
    return counts


# -- timing ---------------------------------------------------------------------------


@dataclass
class Request:
    """One dashboard or analytics request: what it is, its path and parameters."""

    group: str
    label: str
    path: str
    params: dict[str, str | int]
    target_ms: float = 100.0


TARGETS_MS = {"session detail": 50.0, "run detail": 50.0, "DUT history": 50.0}
"""Target p95 of the requests that have one below the 100 ms every request must meet."""


@dataclass
class Figures:
    """One request's timings in one state: through HTTP and raw (its SQL on the client)."""

    p50_ms: float
    p95_ms: float
    raw_p50_ms: float
    raw_p95_ms: float
    statements: int
    cpu_p50_ms: float


def requests(warehouse: Warehouse) -> list[Request]:
    """The dashboard's likely requests and every analytics endpoint, on real ids."""
    db = warehouse.database
    run = warehouse.rows(
        f"SELECT run_id, session_id, dut_serial FROM {db}.runs FINAL "
        "WHERE dut_serial != '' ORDER BY started_at DESC LIMIT 1 OFFSET 500"
    )[0]
    retested = warehouse.scalar(
        f"SELECT dut_serial FROM {db}.runs GROUP BY dut_serial HAVING count() > 1 LIMIT 1"
    )
    now = time.time_ns()
    day, week = str(now - DAY), str(now - 7 * DAY)
    station, part = STATIONS[2], PARTS[0][0]
    dashboard = [
        ("stations", "/api/stations", {}),
        ("sessions page", "/api/sessions", {"limit": 50}),
        ("sessions of a station", "/api/sessions", {"station_id": station, "limit": 50}),
        ("session detail", f"/api/sessions/{run['session_id']}", {"run_limit": 100}),
        ("runs page", "/api/runs", {"limit": 50}),
        ("runs: station+failed", "/api/runs", {"station_id": station, "outcome": "failed"}),
        ("runs: part, 7 days", "/api/runs", {"part_number": part, "since": week, "limit": 50}),
        ("run detail", f"/api/runs/{run['run_id']}", {"measurement_limit": 1000}),
        ("DUT history", f"/api/duts/{retested}", {}),
        ("series vout (all)", "/api/measurements/series", {"name": "vout"}),
        (
            "series vout station",
            "/api/measurements/series",
            {"name": "vout", "station_id": station},
        ),
        ("series vout 24 h", "/api/measurements/series", {"name": "vout", "since": day}),
    ]
    analytics = [
        ("yield by station", "yield", {"group_by": "station"}),
        ("yield by day (tz)", "yield", {"group_by": "day", "tz": "Europe/Berlin"}),
        ("yield day+shift 7 d", "yield", {"group_by": "day,shift", "since": week}),
        ("yield station 24 h", "yield", {"station_id": station, "since": day}),
        ("FPY by station", "first-pass-yield", {"group_by": "station"}),
        ("FPY phase+part", "first-pass-yield", {"group_by": "test_phase,part"}),
        ("FPY by day 7 d", "first-pass-yield", {"group_by": "day", "since": week}),
        ("pareto measurements", "pareto", {"kind": "measurements", "limit": 10}),
        ("pareto meas. 7 d", "pareto", {"kind": "measurements", "since": week}),
        ("pareto meas. part", "pareto", {"kind": "measurements", "part_number": part}),
        ("pareto steps", "pareto", {"kind": "steps", "by": "failures"}),
        ("capability vout", "capability", {"name": "vout"}),
        ("capability by station", "capability", {"name": "vout", "group_by": "station"}),
        ("capability station+part", "capability", {"name": "vout", "station_id": station,
                                                   "part_number": part}),
        ("histogram vout", "histogram", {"name": "vout", "bins": 30}),
        ("histogram vout 7 d", "histogram", {"name": "vout", "bins": 30, "since": week}),
        ("I-MR vout 100", "control-chart", {"name": "vout", "limit": 100}),
        ("I-MR vout 10000", "control-chart", {"name": "vout", "limit": 10_000}),
        ("I-MR station 500", "control-chart", {"name": "vout", "station_id": station,
                                               "limit": 500}),
        ("X̄-R vout 100x5", "control-chart", {"name": "vout", "chart": "xbar-r"}),
    ]  # fmt: skip
    return [
        Request("dashboard", label, path, params, TARGETS_MS.get(label, 100.0))
        for label, path, params in dashboard
    ] + [
        Request("analytics", label, f"/api/analytics/{path}", params, TARGETS_MS.get(label, 100.0))
        for label, path, params in analytics
    ]


Statement = tuple[str, dict[str, Any]]


@dataclass
class SqlLog:
    """The statements the API runs on the warehouse while :attr:`on` (one request's SQL)."""

    on: bool = False
    statements: list[Statement] = field(default_factory=list)

    def watch(self, warehouse: Warehouse) -> None:
        """Record what ``warehouse.rows`` and ``warehouse.arrow`` run (``scalar`` uses rows)."""
        for name in ("rows", "arrow"):
            method = getattr(warehouse, name)
            setattr(warehouse, name, self._recording(method))

    def _recording(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(sql: str, parameters: dict[str, Any] | None = None) -> Any:
            if self.on:
                self.statements.append((sql, dict(parameters or {})))
            return method(sql, parameters)

        return recorded


def _raw_ms(warehouse: Warehouse, statements: list[Statement]) -> float:
    """Time (ms) to run ``statements`` straight on the client, results left as bytes."""
    client = warehouse._client  # the raw limit: no Warehouse, no rows
    started = time.perf_counter()
    for sql, parameters in statements:
        client.raw_query(sql, parameters=parameters, fmt="Native")
    return (time.perf_counter() - started) * 1000


def time_requests(
    url: str, todo: list[Request], reps: int, warehouse: Warehouse, log: SqlLog
) -> dict[str, Figures]:
    """p50 and p95 (ms) of each request over ``reps`` calls, after one warm-up call,
    beside those of its SQL run ``reps`` times straight on the warehouse client."""
    figures: dict[str, Figures] = {}
    with httpx.Client(base_url=url, timeout=600) as client:
        for request in todo:
            log.statements, log.on = [], True
            try:
                answer = client.get(request.path, params=request.params)
            finally:
                log.on = False
            if answer.status_code != 200:
                print(f"  {request.label}: HTTP {answer.status_code} {answer.text[:200]}")
                continue
            statements = list(log.statements)
            times, raw, cpu = [], [], []
            for _ in range(reps):
                started, cpu_started = time.perf_counter(), time.process_time()
                client.get(request.path, params=request.params).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
                raw.append(_raw_ms(warehouse, statements))
            times.sort()
            raw.sort()
            figures[request.label] = Figures(
                statistics.median(times),
                _percentile(times, 0.95),
                statistics.median(raw),
                _percentile(raw, 0.95),
                len(statements),
                statistics.median(cpu),
            )
    return figures


def _percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


class _Server(uvicorn.Server):
    """A uvicorn server that says when it is listening."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = threading.Event()

    async def startup(self, sockets: list[object] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.listening.set()


@contextmanager
def serving(warehouse: Warehouse) -> Iterator[str]:
    """The API over ``warehouse`` on a free loopback port, in a thread of this process."""
    for chatty in ("httpx", "mcp"):  # a line per request timed (the app logs at INFO)
        logging.getLogger(chatty).setLevel(logging.WARNING)
    config = uvicorn.Config(
        create_app(warehouse), host="127.0.0.1", port=0, log_level="warning", ws="none"
    )
    server = _Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        if not server.listening.wait(60) or not server.started:
            raise SystemExit("the API did not start")
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        with startup_frozen():  # as the hub serves (api/hub/embedded.py)
            yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(60)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _disk_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def _recreate_measurements(warehouse: Warehouse, settings: str) -> None:
    """Create the (empty) measurements table again with other MergeTree settings."""
    warehouse.command(f"DROP TABLE {warehouse.database}.measurements")
    table = dataclasses.replace(TABLES["measurements"], settings=(settings,))
    warehouse.command(table.create_statement(warehouse.database))
    print(f"measurements table created with SETTINGS {settings}")


def _merge(warehouse: Warehouse) -> float:
    started = time.perf_counter()
    for table in (
        "runs",
        "run_ends",
        "steps",
        "measurements",
        point_tallies.TABLE,
        "sessions",
        "session_ends",
        "events",
        "measurement_events",
        session_seqs.TABLE,
    ):
        warehouse.command(f"OPTIMIZE TABLE {warehouse.database}.{table} FINAL")
    return time.perf_counter() - started


def _parts(warehouse: Warehouse) -> str:
    rows = warehouse.rows(
        "SELECT count() AS parts, countIf(level = 0) AS fresh FROM system.parts "
        "WHERE active AND database = {db:String} AND table = 'measurements'",
        {"db": warehouse.database},
    )
    return f"{rows[0]['parts']} parts of measurements, {rows[0]['fresh']} never merged"


def _report(phases: dict[str, dict[str, Figures]], todo: list[Request], reps: int) -> None:
    names = list(phases)
    header = "".join(f" | {n} p50 | {n} p95 | raw p95 | ratio | cpu p50" for n in names)
    print(
        f"\nlatency in ms over {reps} requests each (HTTP, httpx, keep-alive); raw: the same "
        "SQL straight on one warehouse client, one statement after the other (a request may run "
        "its reads at once: ratio < 1); ratio = p95 / raw p95; MISS: p95 over target; "
        "cpu: CPU time of this process (client, API, chDB threads) per request, which other "
        "processes on the machine inflate far less than wall time"
    )
    print(f"| group | request | target{header} |")
    print("|---|---|---:" + "|---:" * 5 * len(names) + "|")
    for request in todo:
        cells = ""
        for name in names:
            got = phases[name].get(request.label)
            if got is None:
                cells += " | - | - | - | - | -"
                continue
            miss = " MISS" if got.p95_ms > request.target_ms else ""
            ratio = got.p95_ms / got.raw_p95_ms if got.raw_p95_ms else math.nan
            cells += f" | {got.p50_ms:.1f} | {got.p95_ms:.1f}{miss} | {got.raw_p95_ms:.1f}"
            cells += f" | {ratio:.1f} | {got.cpu_p50_ms:.1f}"
        print(f"| {request.group} | {request.label} | {request.target_ms:.0f}{cells} |")
    for name in names:
        misses = [r.label for r in todo if _missed(phases[name].get(r.label), r)]
        print(f"{name}: {len(misses)} of {len(todo)} requests over target {misses or ''}")


def _missed(got: Figures | None, request: Request) -> bool:
    return got is None or got.p95_ms > request.target_ms


_STATE_KEYS = {"as loaded": "loaded", "merged": "merged"}


def _write_json(
    path: str,
    phases: dict[str, dict[str, Figures]],
    todo: list[Request],
    rows: int,
    machine: dict[str, object],
) -> None:
    state = {
        _STATE_KEYS[name]: {
            request.label: {
                "p50_ms": round(got.p50_ms, 2),
                "p95_ms": round(got.p95_ms, 2),
                "raw_p50_ms": round(got.raw_p50_ms, 2),
                "raw_p95_ms": round(got.raw_p95_ms, 2),
                "target_ms": request.target_ms,
                "statements": got.statements,
                "cpu_p50_ms": round(got.cpu_p50_ms, 2),
            }
            for request in todo
            if (got := figures.get(request.label)) is not None
        }
        for name, figures in phases.items()
    }
    body = {"benchmark": "queries", "machine": machine, "rows": rows, "state": state}
    Path(path).write_text(json.dumps(body, indent=2) + "\n")
    print(f"figures written to {path}")


def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bt-queries-") as tmp:
        root = Path(args.data) if args.data else Path(tmp)
        warehouse = open_warehouse(root)
        have = warehouse.scalar(f"SELECT count() FROM {warehouse.database}.runs")
        if have == 0 and args.measurements_settings:
            _recreate_measurements(warehouse, args.measurements_settings)
        if have == 0:
            started = time.perf_counter()
            counts = load(warehouse, args.runs, args.days, args.chunk, args.seed)
            load_s = time.perf_counter() - started
            points = counts["measurements"]
            print(f"loaded {counts} in {load_s:.1f} s ({points / load_s:,.0f} points/s)")
        else:
            print(f"reusing {root}: {have:,} runs already there")
        print(f"data on disk {_disk_mib(root):,.0f} MiB; peak RSS {_rss_mib():,.0f} MiB")
        todo = requests(warehouse)
        if args.only:
            todo = [request for request in todo if request.label in args.only]
            if not todo:
                raise SystemExit(f"--only {args.only}: no such request")
        rows = int(warehouse.scalar(f"SELECT count() FROM {warehouse.database}.measurements"))
        machine = run_facts.machine()
        log = SqlLog()
        log.watch(warehouse)
        phases: dict[str, dict[str, Figures]] = {}
        with serving(warehouse) as url:
            if not args.skip_unmerged:
                print(f"as loaded: {_parts(warehouse)}")
                phases["as loaded"] = time_requests(url, todo, args.reps, warehouse, log)
                # chDB merges the fresh parts in the background meanwhile, on the same cores
                print(f"after timing as loaded: {_parts(warehouse)}")
            if not args.skip_merge:
                took = _merge(warehouse)
                print(f"merging (OPTIMIZE ... FINAL) took {took:.1f} s: {_parts(warehouse)}")
                phases["merged"] = time_requests(url, todo, args.reps, warehouse, log)
        machine["load_average"] = list(os.getloadavg())  # at the end, as ingest.py
        _report(phases, todo, args.reps)
        if args.json:
            _write_json(args.json, phases, todo, rows, machine)
        print(f"\npeak RSS of this process (chDB, API, generator) {_rss_mib():,.0f} MiB")
        warehouse.close()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000, help="runs (100 points each)")
    parser.add_argument("--days", type=int, default=30, help="days the runs span")
    parser.add_argument("--chunk", type=int, default=10_000, help="runs per insert")
    parser.add_argument("--reps", type=int, default=30, help="timed requests per query")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the data")
    parser.add_argument("--data", help="chDB directory to keep (and reuse when it has data)")
    parser.add_argument(
        "--skip-unmerged", action="store_true", help="time only after merging the parts"
    )
    parser.add_argument(
        "--skip-merge",
        action="store_true",
        help="time only as loaded and leave the parts unmerged (to reuse --data as loaded)",
    )
    parser.add_argument("--json", help="write the figures to this JSON file")
    parser.add_argument(
        "--only",
        action="append",
        metavar="LABEL",
        help="time only this request (by its label, e.g. 'run detail'; repeatable)",
    )
    parser.add_argument(
        "--measurements-settings",
        help="MergeTree SETTINGS of the measurements table, to compare layouts, e.g. "
        "'index_granularity = 1024, min_compress_block_size = 8192'",
    )
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())

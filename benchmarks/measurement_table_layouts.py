"""Two warehouse layouts for dimensioned measurements, compared on chDB: insert, size, read.

- ``parts``: one row per ``measurement.table`` event (a part of at most 60,000 numbers),
  the axes' names and units as arrays and one ``Array(Float64)`` of values per axis
  (``Array(Array(Float64))``): what ``measurement_tables`` holds.
- ``long``: one row per point and axis (``axis``, ``point_index``, ``value``), as
  ``measurements`` holds scalar points; read back either as it is (long) or pivoted
  to a column per axis in ClickHouse.

``--tables`` measurements of ``--points`` points on four axes (a scope-like capture:
time, two noisy sines, their product) are inserted into each, then one is read
``--reps`` times. Prints the insert time per measurement, the compressed size, and
read p50/p95. A program, not a test.

    uv run python benchmarks/measurement_table_layouts.py
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from benchtrail.projector import Warehouse, open_warehouse

AXES = ["t", "V", "I", "P"]
UNITS = ["ms", "V", "A", "W"]
PART_POINTS = 15_000  # 60,000 numbers / 4 axes


def _create(warehouse: Warehouse) -> None:
    db = warehouse.database
    warehouse.command(f"CREATE DATABASE IF NOT EXISTS {db}")
    warehouse.command(f"""
        CREATE TABLE {db}.parts (run_id String, name LowCardinality(String), table_id String,
            first_point UInt32, axis_names Array(String), axis_units Array(String),
            axis_values Array(Array(Float64)) CODEC(ZSTD(1)), event_id String)
        ENGINE = ReplacingMergeTree ORDER BY (run_id, name, table_id, first_point, event_id)""")
    warehouse.command(f"""
        CREATE TABLE {db}.long (run_id String, name LowCardinality(String), table_id String,
            axis LowCardinality(String), unit LowCardinality(String), point_index UInt32,
            value Float64 CODEC(Gorilla, ZSTD), event_id String)
        ENGINE = ReplacingMergeTree
        ORDER BY (run_id, name, table_id, axis, point_index, event_id)""")


def _signals(rng: np.random.Generator, points: int) -> list[np.ndarray]:
    t = np.arange(points, dtype=np.float64) * 0.01
    volts = 5 + np.sin(t) * 0.1 + rng.normal(0, 0.002, points)
    amps = 0.5 + np.cos(t / 3) * 0.05 + rng.normal(0, 0.0005, points)
    return [t, volts, amps, volts * amps]


def _insert(warehouse: Warehouse, run: str, values: list[np.ndarray]) -> tuple[float, float]:
    points = len(values[0])
    starts = range(0, points, PART_POINTS)
    parts = pa.table(
        {
            "run_id": [run] * len(starts),
            "name": ["capture"] * len(starts),
            "table_id": [run] * len(starts),
            "first_point": pa.array(list(starts), pa.uint32()),
            "axis_names": [AXES] * len(starts),
            "axis_units": [UNITS] * len(starts),
            "axis_values": [[v[s : s + PART_POINTS] for v in values] for s in starts],
            "event_id": [f"{run}-{s}" for s in starts],
        }
    )
    t0 = time.perf_counter()
    warehouse.insert_arrow("parts", parts)
    parts_s = time.perf_counter() - t0
    n = points * len(AXES)
    long = pa.table(
        {
            "run_id": pa.array([run] * n).dictionary_encode(),
            "name": pa.array(["capture"] * n).dictionary_encode(),
            "table_id": pa.array([run] * n).dictionary_encode(),
            "axis": np.repeat(AXES, points),
            "unit": np.repeat(UNITS, points),
            "point_index": np.tile(np.arange(points, dtype=np.uint32), len(AXES)),
            "value": np.concatenate(values),
            "event_id": pa.array([run] * n).dictionary_encode(),
        }
    )
    t0 = time.perf_counter()
    warehouse.insert_arrow("long", long)
    return parts_s, time.perf_counter() - t0


def _timed(label: str, call: Callable[[], int], reps: int) -> None:
    call()
    seconds = []
    for _ in range(reps):
        t0 = time.perf_counter()
        rows = call()
        seconds.append(time.perf_counter() - t0)
    seconds.sort()
    p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
    print(
        f"  {label:<44} p50 {statistics.median(seconds) * 1000:6.1f} ms"
        f"   p95 {p95 * 1000:6.1f} ms   ({rows} rows)"
    )


def main() -> None:
    """Insert into both layouts, then time reading one measurement back."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--tables", type=int, default=20)
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = open_warehouse(tmp, database="layouts")
        _create(warehouse)
        times = [
            _insert(warehouse, f"run{i:03d}", _signals(rng, args.points))
            for i in range(args.tables)
        ]
        print(f"{args.tables} measurements of {args.points} points x {len(AXES)} axes")
        for index, layout in enumerate(("parts", "long")):
            median = statistics.median(t[index] for t in times) * 1000
            warehouse.command(f"OPTIMIZE TABLE layouts.{layout} FINAL")
            (size,) = warehouse.rows(
                "SELECT sum(data_compressed_bytes) AS c FROM system.parts"
                " WHERE database = 'layouts' AND table = {t:String} AND active",
                {"t": layout},
            )
            print(
                f"  {layout:<6} insert p50 {median:6.1f} ms per measurement,"
                f" {size['c'] / 1e6:6.1f} MB compressed"
            )
        run = {"r": f"run{args.tables // 2:03d}"}

        def parts() -> int:
            table = warehouse.arrow(
                "SELECT axis_values FROM layouts.parts FINAL WHERE run_id = {r:String}"
                " AND name = 'capture' ORDER BY first_point",
                run,
            )
            flat = pc.list_flatten(table.column("axis_values").combine_chunks())
            count = len(flat) // len(AXES)
            columns = [
                pc.list_flatten(flat.take(pa.array(range(j, count * len(AXES), len(AXES)))))
                for j in range(len(AXES))
            ]
            return pa.Table.from_arrays(columns, names=AXES).num_rows

        def long() -> int:
            return warehouse.arrow(
                "SELECT axis, point_index, value FROM layouts.long FINAL"
                " WHERE run_id = {r:String} AND name = 'capture' ORDER BY axis, point_index",
                run,
            ).num_rows

        def pivot() -> int:
            columns = ", ".join(f"anyIf(value, axis = '{a}') AS `{a}`" for a in AXES)
            return warehouse.arrow(
                f"SELECT point_index, {columns} FROM layouts.long FINAL"
                " WHERE run_id = {r:String} AND name = 'capture'"
                " GROUP BY point_index ORDER BY point_index",
                run,
            ).num_rows

        print(f"reading one measurement back, {args.reps} times:")
        _timed("parts: arrays per axis, joined with Arrow", parts, args.reps)
        _timed("long: a row per point and axis", long, args.reps)
        _timed("long, pivoted to a column per axis in SQL", pivot, args.reps)
        warehouse.close()


if __name__ == "__main__":
    main()

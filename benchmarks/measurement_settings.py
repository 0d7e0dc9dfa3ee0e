"""MergeTree settings of ``measurements`` compared on the query benchmark's month of points.

Copies the ``measurements`` rows of a warehouse kept by ``benchmarks/queries.py --data``
into one table per layout (``--variant LABEL=SETTINGS``, the first is the baseline),
each written as ten inserts by time and left unmerged ("as loaded"), then merged, and
times in each state, straight on chDB (medians and maxima of ``--reps``): a whole month
of one name's capability (``FINAL``, as ``/api/analytics/capability`` reads it), a
plain read of that name's values and times, and a run's points. Also the compressed
size and a plain Arrow insert of 1M of one station's points (medians of 5). A program,
not a test; the figures are quoted in ``docs/analytics.md``.

    uv run python benchmarks/queries.py --data /tmp/bt-q --skip-merge   # once
    uv run python benchmarks/measurement_settings.py --data /tmp/bt-q
"""

from __future__ import annotations

import argparse
import statistics
import time

import clickhouse_connect
from clickhouse_connect.driver.client import Client

SOURCE = "benchtrail.measurements"
AGGREGATES = """low, high, count() AS n, avg(value) AS mean, stddevSamp(value) AS sigma,
    countIf(value < low) AS below_low, countIf(value > high) AS above_high,
    arraySum(arrayMap(step -> abs(step), arrayDifference(arraySort(
        (point, at) -> at, groupArray(value), groupArray(toUnixTimestamp64Nano(ts))))))"""
NAME = "WHERE name = 'vout' AND value_kind IN ('float', 'int')"


def _timed(client: Client, sql: str, reps: int) -> tuple[float, float]:
    client.query(sql)
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        client.query(sql)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def _queries(table: str) -> dict[str, str]:
    run = f"(SELECT any(run_id) FROM {table} WHERE station_id = 'cell-03')"
    return {
        "capability FINAL": f"SELECT {AGGREGATES} FROM {table} FINAL {NAME} GROUP BY low, high"
        " SETTINGS do_not_merge_across_partitions_select_final = 1",
        "capability, FINAL after PREWHERE": f"SELECT {AGGREGATES} FROM {table} FINAL {NAME}"
        " GROUP BY low, high SETTINGS do_not_merge_across_partitions_select_final = 1,"
        " optimize_move_to_prewhere_if_final = 1",
        "read value, ts": f"SELECT sum(value), max(ts) FROM {table} {NAME}",
        "a run's points": f"SELECT count() FROM {table} WHERE station_id = 'cell-03'"
        f" AND run_id = {run}",
    }


def _compare(client: Client, label: str, settings: str, index: int, reps: int) -> None:
    ddl = client.query(f"SHOW CREATE TABLE {SOURCE}").result_rows[0][0]
    table = f"layouts.m{index}"
    head, _, _ = ddl.partition("SETTINGS")
    client.command(f"DROP TABLE IF EXISTS {table}")
    client.command(head.replace(SOURCE, table) + f" SETTINGS {settings}")
    client.command(f"SYSTEM STOP MERGES {table}")
    low, high = client.query(
        f"SELECT toUnixTimestamp(min(ts)), toUnixTimestamp(max(ts)) + 1 FROM {SOURCE}"
    ).result_rows[0]
    step = (high - low) // 10 + 1
    for k in range(10):
        client.command(
            f"INSERT INTO {table} SELECT * FROM {SOURCE}"
            f" WHERE ts >= toDateTime64({low + k * step}, 9)"
            f" AND ts < toDateTime64({low + (k + 1) * step}, 9) SETTINGS optimize_on_insert = 0"
        )
    size = client.query(
        "SELECT sum(data_compressed_bytes) FROM system.parts WHERE active"
        " AND database = 'layouts' AND table = {t:String}",
        parameters={"t": f"m{index}"},
    ).result_rows[0][0]
    print(f"\n{label}: SETTINGS {settings}; {size / 2**20:,.1f} MiB compressed")
    for state in ("as loaded", "merged"):
        if state == "merged":
            client.command(f"SYSTEM START MERGES {table}")
            client.command(f"OPTIMIZE TABLE {table} FINAL")
        for name, sql in _queries(table).items():
            p50, worst = _timed(client, sql, reps)
            print(f"  {state:<9} {name:<34} p50 {p50:6.1f} ms  max {worst:6.1f} ms")
    client.command(f"DROP TABLE {table}")


def _insert_costs(client: Client, variants: dict[str, str]) -> None:
    ddl = client.query(f"SHOW CREATE TABLE {SOURCE}").result_rows[0][0]
    head, _, _ = ddl.partition("SETTINGS")
    points = client.query_arrow(
        f"SELECT * FROM {SOURCE} WHERE station_id = 'cell-02' ORDER BY ts LIMIT 1000000"
    )
    times: dict[str, list[float]] = {label: [] for label in variants}
    for index, settings in enumerate(variants.values()):
        client.command(f"DROP TABLE IF EXISTS layouts.i{index}")
        client.command(head.replace(SOURCE, f"layouts.i{index}") + f" SETTINGS {settings}")
        client.command(f"SYSTEM STOP MERGES layouts.i{index}")
    for _ in range(5):  # alternated, so a noisy moment hits every layout alike
        for index, label in enumerate(variants):
            start = time.perf_counter()
            client.insert_arrow(f"layouts.i{index}", points, settings={"optimize_on_insert": 0})
            times[label].append(time.perf_counter() - start)
    print(f"\nplain Arrow insert of {points.num_rows:,} points of one station (medians of 5):")
    first = statistics.median(next(iter(times.values())))
    for index, (label, values) in enumerate(times.items()):
        median = statistics.median(values)
        print(f"  {label:<12} {median * 1000:6.0f} ms  ({median / first:.2f}× the first)")
        client.command(f"DROP TABLE layouts.i{index}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a warehouse kept by queries.py --data")
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument(
        "--variant",
        action="append",
        metavar="LABEL=SETTINGS",
        help="a layout to compare (repeatable; default: 64 KiB and 8 KiB compressed blocks)",
    )
    args = parser.parse_args()
    variants = dict(
        item.split("=", 1)
        for item in args.variant
        or [
            "64k blocks=index_granularity = 1024",
            "8k blocks=index_granularity = 1024, min_compress_block_size = 8192",
        ]
    )
    client = clickhouse_connect.get_client(interface="chdb", path=args.data)
    client.command("CREATE DATABASE IF NOT EXISTS layouts")
    for index, (label, settings) in enumerate(variants.items()):
        _compare(client, label, settings, index, args.reps)
    _insert_costs(client, variants)


if __name__ == "__main__":
    main()

"""Reading one 100k-point dimensioned measurement back: through the HTTP API and raw in chDB.

Records ``--tables`` dimensioned measurements of ``--points`` points on four axes
(t in ms, V, I, P) as a station would (``measurement.table`` parts of at most 60,000
numbers, built by the agent's own code), projects them into a chDB warehouse with
the projector's own rows, serves the API (Litestar on uvicorn, in this process),
then reads one measurement ``--reps`` times:

- ``GET /api/runs/{run_id}/tables/{name}`` as Arrow IPC, as JSON and as CSV, over
  HTTP with keep-alive (httpx);
- the raw chDB query of the same rows (the measurement's parts, in order, as Arrow).

Prints p50/p95 of each and the ratio HTTP/raw. A program, not a test: it never fails
on speed.

    uv run python benchmarks/measurement_table_read.py
    uv run python benchmarks/measurement_table_read.py --points 100000 --tables 50 --reps 50
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import uvicorn

from benchtrail.agents.measurement_tables import check_table, record_table
from benchtrail.api.http import create_app
from benchtrail.projector import Warehouse, open_warehouse
from benchtrail.projector.rows import RowBatch
from benchtrail.schemas import Event, EventUnion, new_id, now_ns


class _Sink:
    """Stamps events as a station would and keeps them (no NATS: the read is measured)."""

    def __init__(self) -> None:
        self.session_id = new_id()
        self.events: list[EventUnion] = []

    def emit(
        self,
        event_type: type[Event],
        size_hint: int = 320,
        *,
        at: int | None = None,
        **fields: object,
    ) -> Event:
        event = event_type(
            event_id=new_id(),
            session_id=self.session_id,
            station_id="scope-1",
            seq=len(self.events) + 1,
            occurred_at=now_ns() if at is None else at,
            **fields,
        )
        self.events.append(event)  # type: ignore[arg-type]
        return event


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # serve in a thread
        pass


def _serve(app: object) -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]
    server = _Server(config)
    threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{port}"


def _record(warehouse: Warehouse, tables: int, points: int) -> list[str]:
    """``tables`` runs with one 4-axis measurement each, projected; their run ids."""
    rng = np.random.default_rng(7)
    run_ids = []
    for _ in range(tables):
        sink, run_id = _Sink(), new_id()
        t = np.arange(points, dtype=np.float64) * 0.01
        volts = 5 + rng.normal(0, 0.01, points)
        amps = 0.5 + rng.normal(0, 0.001, points)
        columns = {"t": (t, "ms"), "V": (volts, "V"), "I": (amps, "A"), "P": (volts * amps, "W")}
        axes = check_table("capture", columns, 1, "unset")
        record_table(sink, run_id, "capture", axes, dimensions=1, outcome="unset", step="")  # type: ignore[arg-type]
        batch = RowBatch()
        batch.add_frame(sink.events, len(run_ids) + 1)
        warehouse.write(batch)
        run_ids.append(run_id)
    return run_ids


def _percentiles(label: str, seconds: list[float], size: int = 0) -> float:
    ordered = sorted(seconds)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000
    extra = f"  {size / 1e6:6.2f} MB" if size else ""
    print(f"  {label:<34} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms{extra}")
    return p50


def _timed(call: Callable[[], int], reps: int) -> tuple[list[float], int]:
    call()  # warm-up
    seconds, size = [], 0
    for _ in range(reps):
        t0 = time.perf_counter()
        size = call()
        seconds.append(time.perf_counter() - t0)
    return seconds, size


def main() -> None:
    """Record, project and serve, then time the reads and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--tables", type=int, default=20, help="measurements in the warehouse")
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = open_warehouse(str(Path(tmp) / "warehouse"))
        t0 = time.perf_counter()
        run_ids = _record(warehouse, args.tables, args.points)
        print(
            f"recorded and projected {args.tables} measurements of {args.points} points x 4 axes"
            f" in {time.perf_counter() - t0:.1f} s"
        )
        url = _serve(create_app(warehouse))
        run_id = run_ids[len(run_ids) // 2]
        path = f"/api/runs/{run_id}/tables/capture"
        raw_sql = f"""
            SELECT axis_values FROM {warehouse.database}.measurement_tables FINAL
            WHERE run_id = {{run:String}} AND name = 'capture' ORDER BY first_point
            SETTINGS do_not_merge_across_partitions_select_final = 1
        """
        print(f"one measurement of {args.points} points, {args.reps} reads each:")
        with httpx.Client(base_url=url, timeout=60) as client:

            def read(output: str) -> Callable[[], int]:
                def call() -> int:
                    response = client.get(path, params={"format": output})
                    response.raise_for_status()
                    return len(response.content)

                return call

            raw = _percentiles(
                "raw chDB query (Arrow)",
                _timed(lambda: warehouse.arrow(raw_sql, {"run": run_id}).num_rows, args.reps)[0],
            )
            for output in ("arrow", "json", "csv"):
                seconds, size = _timed(read(output), args.reps)
                p50 = _percentiles(f"GET .../tables/capture ({output})", seconds, size)
                print(f"  {'':<34} HTTP/raw = {p50 / raw:.1f}x")
        warehouse.close()


if __name__ == "__main__":
    main()

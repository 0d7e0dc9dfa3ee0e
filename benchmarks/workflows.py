"""Workflow benchmark: the cost of recording a MeasurementSession sweep, and reading it back.

A station process runs the same pure-Python sweep over a grid of ``--points``
points (two parameters, two results per point): as a plain Python loop that keeps
results in lists (what a script does without benchtrail; best of three), and
through ``MeasurementSession.run()`` recording every point to JetStream. The
difference per point is what recording adds. As on a real station, nothing else
runs on the machine meanwhile: the projector starts afterwards (a hub over the same
JetStream store), and its ingest time is printed. Once the experiment is in the
warehouse it is read back as a polars DataFrame through the API
(``EventStore.experiment``) several times.

    uv run python benchmarks/workflows.py                  # 1,000,000 points
    uv run python benchmarks/workflows.py --points 200000 --reads 3
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import multiprocessing as mp
import resource
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import nats

from benchtrail.api import EventStore
from benchtrail.api.hub import Hub, HubOptions
from benchtrail.api.natsserver import NatsServer
from benchtrail.projector.streams import ensure_streams


def response(voltage: float, current: float) -> dict[str, float]:
    """The acquire function: pure Python, no instrument (its cost is the same in both runs)."""
    return {"v_out": voltage * 0.998 - current * 0.05, "ripple": math.sin(voltage * current)}


def _grid(points: int) -> tuple[list[float], list[float]]:
    side = math.isqrt(points)
    return [i * 1e-3 for i in range(side)], [j * 1e-3 for j in range(points // side)]


def _plain(voltages: list[float], currents: list[float]) -> float:
    """The sweep without benchtrail: call the function, keep the columns in lists."""
    columns: dict[str, list[float]] = {"voltage": [], "current": [], "v_out": [], "ripple": []}
    started = time.perf_counter()
    for voltage, current in itertools.product(voltages, currents):
        result = response(voltage, current)
        columns["voltage"].append(voltage)
        columns["current"].append(current)
        for key, value in result.items():
            columns[key].append(value)
    return time.perf_counter() - started


def _station(hub: str, points: int, out: mp.Queue) -> None:
    from benchtrail.agents import MeasurementSession

    voltages, currents = _grid(points)
    _plain(voltages[:10], currents)  # warm up
    plain_s = min(_plain(voltages, currents) for _ in range(3))
    with MeasurementSession("benchmark sweep", station="bench-wf", hub=hub, progress=False) as s:
        s.parameter("voltage", voltages, unit="V")
        s.parameter("current", currents, unit="A")
        s.acquire(response)
        started = time.perf_counter()
        experiment = s.run()
        recorded_s = time.perf_counter() - started
        s.station.flush(600)
        acked_s = time.perf_counter() - started
        frames = s.station.publisher.stats.frames_acknowledged
    out.put(
        {
            "points": experiment.metadata.points,
            "run_id": experiment.metadata.run_id,
            "plain_s": plain_s,
            "recorded_s": recorded_s,
            "acked_s": acked_s,
            "frames": frames,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def _start_hub(root: Path) -> tuple[Hub, threading.Thread]:
    options = HubOptions(
        data_dir=str(root / "hub"), http_port=0, nats_port=0, warehouse=str(root / "chdb")
    )
    hub = Hub(options)
    thread = threading.Thread(target=lambda: asyncio.run(hub.serve()), daemon=True)
    thread.start()
    if not hub.ready.wait(60):
        raise SystemExit("the hub did not start within 60 s")
    return hub, thread


def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bt-workflows-") as tmp:
        root = Path(tmp)
        result = _record(root, args.points)
        hub, thread = _start_hub(root)
        try:
            _report(hub, result, args)
        finally:
            hub.request_stop()
            thread.join(60)


def _record(root: Path, points: int) -> dict[str, Any]:
    """The sweeps, in a station process, publishing to a bare nats-server (the hub's store)."""
    server = NatsServer(root / "hub" / "jetstream").start()
    try:
        asyncio.run(_ensure_streams(server.url))
        ctx = mp.get_context("spawn")
        out: mp.Queue = ctx.Queue()
        station = ctx.Process(target=_station, args=(server.url, points, out))
        station.start()
        result: dict[str, Any] = out.get(timeout=3600)
        station.join()
        return result
    finally:
        server.stop()


async def _ensure_streams(url: str) -> None:
    nc = await nats.connect(url)
    try:
        await ensure_streams(nc.jetstream())
    finally:
        await nc.close()


def _report(hub: Hub, result: dict[str, Any], args: argparse.Namespace) -> None:
    n = result["points"]
    extra_us = (result["recorded_s"] - result["plain_s"]) / n * 1e6
    plain, recorded, acked = result["plain_s"], result["recorded_s"], result["acked_s"]
    print(f"sweep of {n:,} points (2 parameters, 2 results), station process:")
    print(f"  plain Python loop (best 3) {plain:8.2f} s  {n / plain:>12,.0f} points/s")
    print(f"  MeasurementSession.run()   {recorded:8.2f} s  {n / recorded:>12,.0f} points/s")
    print(f"  ... until acknowledged     {acked:8.2f} s  ({result['frames']:,} frames)")
    print(f"  recording adds             {extra_us:8.2f} µs per point (target <= 5 µs)")
    print(f"  station peak RSS           {result['rss_mib']:8.0f} MiB")
    started = time.perf_counter()
    hub.wait_ingested(timeout=1800)
    ingest_s = time.perf_counter() - started
    print(f"  ingested into ClickHouse   {ingest_s:8.2f} s (the projector starts after the sweep)")
    times = []
    with EventStore(hub.api_url, timeout=600) as store:
        for _ in range(args.reads):
            t0 = time.perf_counter()
            back = store.experiment(result["run_id"])
            times.append(time.perf_counter() - t0)
    shape = f"{back.data.height:,} rows x {back.data.width} columns"
    print(f"read back as a DataFrame ({shape}, through the API as Arrow):")
    print(
        f"  p50 {statistics.median(times):.3f} s   min {min(times):.3f} s   max {max(times):.3f} s"
        f"   over {args.reads} reads (target <= 1 s)"
    )
    print(
        f"hub process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000, help="points in the sweep")
    parser.add_argument("--reads", type=int, default=5, help="read-backs to time")
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())

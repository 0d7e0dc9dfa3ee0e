"""Workflow benchmark: the cost of recording a MeasurementSession sweep, and reading it back.

A station process runs the same pure-Python sweep over a grid of ``--points``
points (two parameters, two results per point): as a plain Python loop that keeps
results in lists (what a script does without benchtrail; best of three), and
through ``MeasurementSession.run()`` recording every point to JetStream. The
difference per point is what recording adds. The sweep is recorded three times,
each in a fresh station process: with the outbox (the default, ``sync: normal``),
without it, and with ``sync: full`` (an fsync per commit); each prints the outbox's
write throughput. As on a real station, nothing else
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
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.hub.natsserver import NatsServer
from benchtrail.api.hub.options import HubOptions
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


OUTBOX_VARIANTS = ("on", "off", "full")
"""Outbox on (the default, ``sync: normal``), off, and on with ``sync: full``."""


def _station(hub: str, points: int, variant: str, outbox_dir: str, out: mp.Queue) -> None:
    from benchtrail.agents import MeasurementSession, OutboxConfig, connect

    outbox = OutboxConfig(
        enabled=variant != "off", dir=outbox_dir, sync="full" if variant == "full" else "normal"
    )
    voltages, currents = _grid(points)
    _plain(voltages[:10], currents)  # warm up
    plain_s = min(_plain(voltages, currents) for _ in range(3))
    station = connect("bench-wf", hub=hub, outbox=outbox).start()
    with MeasurementSession("benchmark sweep", station=station, progress=False) as s:
        s.parameter("voltage", voltages, unit="V")
        s.parameter("current", currents, unit="A")
        s.acquire(response)
        started = time.perf_counter()
        experiment = s.run()
        recorded_s = time.perf_counter() - started
        station.flush(600)
        acked_s = time.perf_counter() - started
    stats = station.publisher.stats
    station.stop()
    out.put(
        {
            "variant": variant,
            "points": experiment.metadata.points,
            "run_id": experiment.metadata.run_id,
            "plain_s": plain_s,
            "recorded_s": recorded_s,
            "acked_s": acked_s,
            "frames": stats.frames_acknowledged,
            "frames_stored": stats.frames_stored,
            "bytes_stored": stats.bytes_stored,
            "store_s": stats.store_seconds,
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
        _outbox_throughput(root)
        results = _record(root, args.points)
        hub, thread = _start_hub(root)
        try:
            _report(hub, results, args)
        finally:
            hub.request_stop()
            thread.join(60)


def _record(root: Path, points: int) -> list[dict[str, Any]]:
    """The sweeps, in station processes, publishing to a bare nats-server (the hub's store)."""
    server = NatsServer(root / "hub" / "jetstream").start()
    try:
        asyncio.run(_ensure_streams(server.url))
        ctx = mp.get_context("spawn")
        results = []
        for variant in OUTBOX_VARIANTS:
            out: mp.Queue = ctx.Queue()
            args = (server.url, points, variant, str(root / "outbox"), out)
            station = ctx.Process(target=_station, args=args)
            station.start()
            results.append(out.get(timeout=3600))
            station.join()
        return results
    finally:
        server.stop()


async def _ensure_streams(url: str) -> None:
    nc = await nats.connect(url)
    try:
        await ensure_streams(nc.jetstream())
    finally:
        await nc.close()


def _report(hub: Hub, results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    by_variant = {r["variant"]: r for r in results}
    for result in results:
        _report_sweep(result)
    on, off, full = (by_variant[v] for v in OUTBOX_VARIANTS)
    per_point = {
        v: (r["recorded_s"] - r["plain_s"]) / r["points"] * 1e6 for v, r in by_variant.items()
    }
    print("outbox cost (what recording adds per point; target <= 5 µs):")
    labels = {"off": "outbox off", "on": "outbox on (sync normal)", "full": "outbox on (sync full)"}
    for variant, label in labels.items():
        delta = per_point[variant] - per_point["off"]
        print(f"  {label:<26} {per_point[variant]:8.2f} µs  ({delta:+.2f} µs vs off)")
    print(
        f"  until acknowledged: off {off['acked_s']:.2f} s, on {on['acked_s']:.2f} s,"
        f" full {full['acked_s']:.2f} s"
    )
    result = on
    started = time.perf_counter()
    hub.wait_ingested(timeout=1800)
    ingest_s = time.perf_counter() - started
    print(f"ingested into ClickHouse     {ingest_s:8.2f} s (the projector starts after the sweeps)")
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


def _outbox_throughput(root: Path, frames: int = 400, per_commit: int = 4) -> None:
    """The outbox's write throughput alone (no recording competing for the GIL)."""
    from benchtrail.agents.publishing.frames import FrameBuffer
    from benchtrail.agents.publishing.outbox import WriteBatch
    from benchtrail.agents.publishing.sqlite_outbox import SqliteOutbox
    from benchtrail.schemas import Measurement, new_id, now_ns

    session_id = new_id()
    buffer = FrameBuffer("bench-wf", session_id)
    cut = []
    for seq in range(1, frames * 1000 + 1):
        buffer.add(
            Measurement(
                event_id=new_id(),
                session_id=session_id,
                station_id="bench-wf",
                seq=seq,
                occurred_at=now_ns(),
                run_id=session_id,
                name="v_out",
                value=seq * 1e-3,
                unit="V",
            ),
            256,
        )
        if seq % 1000 == 0:
            cut.append(buffer.cut())
    size_mb = sum(len(f.payload) for f in cut) / 1e6
    print(
        f"outbox write throughput, writer alone ({frames} frames of 1,000 measurements,"
        f" {size_mb / frames * 1e3:.0f} kB each, {per_commit} frames per commit):"
    )
    for sync in ("normal", "full"):
        outbox = SqliteOutbox.create(root / f"throughput-{sync}", "bench-wf", "", rank=0, sync=sync)
        started = time.perf_counter()
        for i in range(0, frames, per_commit):
            outbox.write(WriteBatch(frames=cut[i : i + per_commit]), now_ns())
        elapsed = time.perf_counter() - started
        outbox.close(delete=True)
        commits = frames / per_commit
        print(
            f"  sync {sync:<7} {size_mb / elapsed:8,.0f} MB/s  {frames / elapsed:8,.0f} frames/s"
            f"  {commits / elapsed:8,.0f} commits/s"
        )


def _report_sweep(result: dict[str, Any]) -> None:
    n = result["points"]
    extra_us = (result["recorded_s"] - result["plain_s"]) / n * 1e6
    plain, recorded, acked = result["plain_s"], result["recorded_s"], result["acked_s"]
    print(f"sweep of {n:,} points (2 parameters, 2 results), outbox {result['variant']}:")
    print(f"  plain Python loop (best 3) {plain:8.2f} s  {n / plain:>12,.0f} points/s")
    print(f"  MeasurementSession.run()   {recorded:8.2f} s  {n / recorded:>12,.0f} points/s")
    print(f"  ... until acknowledged     {acked:8.2f} s  ({result['frames']:,} frames)")
    print(f"  recording adds             {extra_us:8.2f} µs per point (target <= 5 µs)")
    if result["variant"] != "off" and result["store_s"] > 0:
        mb_s = result["bytes_stored"] / 1e6 / result["store_s"]
        frames_s = result["frames_stored"] / result["store_s"]
        print(
            f"  outbox writes              {result['bytes_stored'] / 1e6:8.1f} MB in"
            f" {result['store_s']:.2f} s: {mb_s:,.0f} MB/s, {frames_s:,.0f} frames/s"
            " (while recording)"
        )
    print(f"  station peak RSS           {result['rss_mib']:8.0f} MiB")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000, help="points in the sweep")
    parser.add_argument("--reads", type=int, default=5, help="read-backs to time")
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())

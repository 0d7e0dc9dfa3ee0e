"""Lock benchmark: benchtrail leases in JetStream KV against a raw nats-py KV round trip.

Prints acquire+release latency p50/p99 (uncontended) beside a raw KV ``create`` +
``delete`` measured in the same run, acquisitions/s with 4 processes contending for one
key and for 4 distinct keys, and the hand-over time after the holder is killed (-9).

    uv run python benchmarks/locks.py
    uv run python benchmarks/locks.py --rounds 5000 --seconds 10 --lease 2
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import signal
import tempfile
import time
from pathlib import Path

import nats
import numpy as np
from nats.js.api import KeyValueConfig

from benchtrail.agents.locks import Holder, Locks
from benchtrail.api.hub.natsserver import NatsServer


def _holder(name: str) -> Holder:
    return Holder(station_id=name, pid=os.getpid(), since_ns=time.time_ns())


def _percentiles(samples_s: list[float]) -> str:
    ms = np.asarray(samples_s) * 1000
    return f"p50 {np.percentile(ms, 50):.2f} ms  p99 {np.percentile(ms, 99):.2f} ms"


async def _raw_round_trips(url: str, rounds: int) -> list[float]:
    nc = await nats.connect(url)
    kv = await nc.jetstream().create_key_value(KeyValueConfig(bucket="bench_raw", history=1))
    samples = []
    for i in range(rounds):
        t0 = time.perf_counter()
        revision = await kv.create(f"k{i % 10}", b"x")
        await kv.delete(f"k{i % 10}", last=revision)
        samples.append(time.perf_counter() - t0)
    await nc.close()
    return samples


async def _lock_round_trips(url: str, rounds: int, lease: float) -> list[float]:
    nc = await nats.connect(url)
    locks = await Locks(nc.jetstream(), lease=lease).open()
    holder = _holder("bench")
    samples = []
    for i in range(rounds):
        t0 = time.perf_counter()
        held = await locks.acquire(f"bench.k{i % 10}", holder)
        await locks.release(held)
        samples.append(time.perf_counter() - t0)
    await locks.close()
    await nc.close()
    return samples


def _contender(
    url: str, key: str, seconds: float, lease: float, start: mp.Event, out: mp.Queue
) -> None:
    async def run() -> int:
        nc = await nats.connect(url)
        locks = await Locks(nc.jetstream(), lease=lease).open()
        holder = _holder(f"p{os.getpid()}")
        count = 0
        start.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            held = await locks.acquire(key, holder, wait=seconds)
            held.check()
            await locks.release(held)
            count += 1
        await locks.close()
        await nc.close()
        return count

    out.put(asyncio.run(run()))


def _contend(url: str, keys: list[str], seconds: float, lease: float) -> float:
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_contender, args=(url, key, seconds, lease, start, out)) for key in keys
    ]
    for p in procs:
        p.start()
    time.sleep(2)  # every process connected and bound to the bucket
    start.set()
    total = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return total / seconds


def _sleeper(url: str, lease: float, ready: mp.Event) -> None:
    async def run() -> None:
        nc = await nats.connect(url)
        locks = await Locks(nc.jetstream(), lease=lease).open()
        await locks.acquire("bench.handover", _holder("victim"))
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(run())


async def _handover(url: str, lease: float) -> float:
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    victim = ctx.Process(target=_sleeper, args=(url, lease, ready))
    victim.start()
    await asyncio.to_thread(ready.wait)
    nc = await nats.connect(url)
    locks = await Locks(nc.jetstream(), lease=lease).open()
    killed_at = time.perf_counter()
    os.kill(victim.pid or 0, signal.SIGKILL)
    held = await locks.acquire("bench.handover", _holder("heir"), wait=10 * lease)
    took = time.perf_counter() - killed_at
    await locks.release(held)
    await locks.close()
    await nc.close()
    victim.join()
    return took


async def main(args: argparse.Namespace) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="bt-locks-") as tmp,
        NatsServer(Path(tmp) / "jetstream") as server,
    ):
        url = server.url
        print(f"benchtrail lock benchmark: hub {url}, lease {args.lease:g} s, {args.rounds} rounds")
        await _raw_round_trips(url, 200)  # warm up
        raw = await _raw_round_trips(url, args.rounds)
        ours = await _lock_round_trips(url, args.rounds, args.lease)
        ratio = np.percentile(ours, 50) / np.percentile(raw, 50)
        print(f"  raw KV create+delete:          {_percentiles(raw)}")
        print(
            f"  benchtrail acquire+release:    {_percentiles(ours)}  "
            f"(p50 {ratio:.2f}x raw; p99 "
            f"{np.percentile(ours, 99) / np.percentile(raw, 99):.2f}x raw)"
        )
        one = _contend(url, ["bench.one"] * 4, args.seconds, args.lease)
        print(f"  4 processes, one key:          {one:,.0f} acquisitions/s")
        four = _contend(url, [f"bench.d{i}" for i in range(4)], args.seconds, args.lease)
        print(f"  4 processes, distinct keys:    {four:,.0f} acquisitions/s")
        took = await _handover(url, args.lease)
        print(f"  hand-over after kill -9:       {took:.2f} s (lease {args.lease:g} s)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--lease", type=float, default=2.0)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))

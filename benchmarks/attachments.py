"""Attachment benchmark: recording cost in MB/s through the outbox into the Object Store.

A station attaches ``--count`` attachments of ``--mib`` MiB of random bytes each to a
run (``run.attach``: hashed and spooled to the outbox directory at the call, stored in
the hub's ``bt_attachments`` object store by the publisher before any frame) and
flushes; the time from the first call to the last acknowledgement gives the MB/s. The
time spent inside the calls (hash + spool copy) is printed too. Beside it, the
same amount of other random bytes goes through nats-py's own ``ObjectStore.put`` (no
outbox, no hashing of ours), one object after another; the ratio is recording's cost.

    uv run python benchmarks/attachments.py                   # 16 x 8 MiB
    uv run python benchmarks/attachments.py --mib 1 --count 64
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import nats

from benchtrail.agents import OutboxConfig, connect
from benchtrail.api.hub.attachment_store import ensure_attachments_bucket
from benchtrail.api.hub.natsserver import NatsServer
from benchtrail.projector.streams import ensure_streams
from benchtrail.schemas import ATTACHMENTS_BUCKET

MB = 1_000_000


async def _prepare(url: str) -> None:
    nc = await nats.connect(url)
    try:
        await ensure_streams(nc.jetstream())
        await ensure_attachments_bucket(nc.jetstream())
    finally:
        await nc.close()


def through_the_station(
    url: str, blobs: list[bytes], outbox: Path, sync: str
) -> tuple[float, float]:
    """Seconds from the first ``run.attach`` to the last ack, and seconds inside the calls."""
    limit = max(len(b) for b in blobs)
    config = OutboxConfig(dir=str(outbox), max_attachment_bytes=limit, sync=sync)  # type: ignore[arg-type]
    with connect("bench-att", hub=url, outbox=config) as station:
        station.flush()
        with station.run(dut_serial="SN-BENCH") as run:
            start = time.perf_counter()
            for index, blob in enumerate(blobs):
                run.attach(f"capture-{index}.bin", blob)
            called = time.perf_counter()
        station.flush(600)
        done = time.perf_counter()
        assert station.publisher.stats.attachments_stored == len(blobs)
    return done - start, called - start


async def _raw_put(url: str, blobs: list[bytes]) -> float:
    nc = await nats.connect(url)
    try:
        store = await nc.jetstream().object_store(ATTACHMENTS_BUCKET)
        start = time.perf_counter()
        for index, blob in enumerate(blobs):
            await store.put(f"raw-{index}", blob)
        return time.perf_counter() - start
    finally:
        await nc.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=float, default=8.0, help="MiB per attachment")
    parser.add_argument("--count", type=int, default=16, help="attachments")
    parser.add_argument("--sync", choices=["normal", "full"], default="normal", help="outbox sync")
    args = parser.parse_args()
    size = int(args.mib * 1024 * 1024)
    total = size * args.count
    with tempfile.TemporaryDirectory() as tmp, NatsServer(Path(tmp) / "js") as server:
        asyncio.run(_prepare(server.url))
        station_blobs = [os.urandom(size) for _ in range(args.count)]
        raw_blobs = [os.urandom(size) for _ in range(args.count)]
        seconds, in_calls = through_the_station(
            server.url, station_blobs, Path(tmp) / "outbox", args.sync
        )
        raw = asyncio.run(_raw_put(server.url, raw_blobs))
    station_rate, raw_rate = total / MB / seconds, total / MB / raw
    print(f"outbox sync: {args.sync}")
    print(f"{args.count} attachments x {size / 2**20:g} MiB = {total / MB:,.1f} MB")
    print(f"run.attach + flush (outbox -> store): {station_rate:8.1f} MB/s ({seconds:.2f} s)")
    print(f"  inside the calls (sha256 + spool):  {total / MB / in_calls:8.1f} MB/s")
    print(f"nats-py ObjectStore.put, same bytes:  {raw_rate:8.1f} MB/s ({raw:.2f} s)")
    print(f"ratio station / raw put:              {station_rate / raw_rate:8.2f}")


if __name__ == "__main__":
    main()

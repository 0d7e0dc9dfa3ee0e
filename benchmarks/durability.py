"""What a kill -9 of nats-server loses, by ``sync_interval``: acked-then-lost, counted.

For each JetStream ``sync_interval`` (nats-server's default, 2 minutes, and
``always``) and each message size, several trials: a fresh nats-server with a
file-storage stream; one client publishes numbered messages as fast as it can
with async acks (every ack recorded); at a random moment (seeded) the server
is killed with SIGKILL; it is started again on the same store, and every
stored message is read back. Counted per trial: published, acked, stored,
acked-then-lost (acked, absent after the restart), stored-but-unacked (fine:
the publisher would resend, and the duplicate window drops it). Then, with no
kill, the publish throughput of each setting (msgs/s, MB/s).

A SIGKILL of the process is not a power cut: what nats-server had handed to the
kernel survives in the page cache. Only a machine crash shows the difference
fsync makes for data in the page cache; this program does not simulate one
(see docs/durability.md).

    uv run python benchmarks/durability.py                  # defaults: 5 trials each
    uv run python benchmarks/durability.py --trials 10 --seconds 3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import struct
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig

from benchtrail.api.hub.natsserver import NatsServer

STREAM = "DURABILITY"
SUBJECT = "dur.msgs"
SIZES = {"small": 256, "64KiB": 64 * 1024}
DEFAULT_SETTINGS = ("default", "always")
MAX_PENDING = 1000
"""Publishes in flight at most (nats-server answers 429 "too many requests" far above)."""


@dataclass
class Trial:
    """Counts of one kill -9 trial."""

    published: int = 0
    acked: set[int] = field(default_factory=set)
    stored: set[int] = field(default_factory=set)
    kill_after_s: float = 0.0

    @property
    def acked_then_lost(self) -> int:
        return len(self.acked - self.stored)

    @property
    def stored_unacked(self) -> int:
        return len(self.stored - self.acked)


def _payload(number: int, size: int) -> bytes:
    return struct.pack(">Q", number) + b"x" * (size - 8)


async def _ignore(error: Exception) -> None:
    """Connection errors are expected here: the server is killed on purpose."""


async def _connect(url: str) -> Client:
    return await nats.connect(
        url, allow_reconnect=False, max_reconnect_attempts=0, error_cb=_ignore
    )


async def _create_stream(url: str) -> None:
    nc = await _connect(url)
    js = nc.jetstream()
    config = StreamConfig(
        name=STREAM, subjects=[SUBJECT], storage=StorageType.FILE, duplicate_window=120.0
    )
    await js.add_stream(config)
    await nc.close()


async def _publish_until_gone(url: str, size: int, trial: Trial, stop: asyncio.Event) -> None:
    """Publish numbered messages with async acks until the server goes away or ``stop``."""
    nc = await _connect(url)
    js = nc.jetstream(publish_async_max_pending=MAX_PENDING)

    def on_ack(number: int, future: asyncio.Future[object]) -> None:
        if not future.cancelled() and future.exception() is None:
            trial.acked.add(number)

    try:
        while not stop.is_set() and nc.is_connected:
            number = trial.published
            headers = {"Nats-Msg-Id": str(number)}
            future = await js.publish_async(
                SUBJECT, _payload(number, size), headers=headers, wait_stall=2.0
            )
            future.add_done_callback(lambda f, n=number: on_ack(n, f))
            trial.published += 1
    except (nats.errors.Error, OSError):
        pass  # the server was killed mid-publish
    if nc.is_connected:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(js.publish_async_completed(), 30)
    await nc.close()


async def _read_back(url: str) -> set[int]:
    """The numbers of every message stored in the stream."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    info = await js.stream_info(STREAM)
    total = int(info.state.messages)
    numbers: set[int] = set()
    config = ConsumerConfig(
        deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE, inactive_threshold=60.0
    )
    sub = await js.pull_subscribe(SUBJECT, stream=STREAM, config=config)
    while len(numbers) < total:
        for msg in await sub.fetch(512, timeout=10):
            numbers.add(struct.unpack(">Q", msg.data[:8])[0])
    await sub.unsubscribe()
    await nc.close()
    return numbers


async def _trial(root: Path, sync: str | None, size: int, delay: float) -> Trial:
    server = NatsServer(root, sync_interval=sync).start()
    trial = Trial(kill_after_s=delay)
    try:
        await _create_stream(server.url)
        stop = asyncio.Event()
        publishing = asyncio.create_task(_publish_until_gone(server.url, size, trial, stop))
        await asyncio.sleep(delay)  # the random moment of the kill
        server.kill()
        await publishing
        server.requested_port = server.port
        server.start()
        trial.stored = await _read_back(server.url)
    finally:
        server.stop()
    return trial


async def _throughput(root: Path, sync: str | None, size: int, seconds: float) -> float:
    """Messages per second acknowledged, publishing for ``seconds`` with no fault."""
    server = NatsServer(root, sync_interval=sync).start()
    trial = Trial()
    try:
        await _create_stream(server.url)
        stop = asyncio.Event()
        t0 = time.perf_counter()
        publishing = asyncio.create_task(_publish_until_gone(server.url, size, trial, stop))
        await asyncio.sleep(seconds)
        stop.set()
        await publishing
        elapsed = time.perf_counter() - t0
    finally:
        server.stop()
    return len(trial.acked) / elapsed


def _sync_value(setting: str) -> str | None:
    return None if setting == "default" else setting


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    print(
        f"nats-server kill -9 durability: {args.trials} trials per row, "
        f"kill after U({args.min_delay}, {args.max_delay}) s, seed {args.seed}"
    )
    header = (
        f"{'sync_interval':<14}{'size':>7}{'published':>11}{'acked':>10}{'stored':>10}"
        f"{'acked+lost':>12}{'stored,unacked':>16}{'msgs/s':>10}{'MB/s':>8}"
    )
    print(header)
    print("-" * len(header))
    for setting in args.settings:
        for size_name, size in SIZES.items():
            published = acked = stored = lost = unacked = 0
            with tempfile.TemporaryDirectory(prefix="bt-dur-") as tmp:
                for index in range(args.trials):
                    delay = rng.uniform(args.min_delay, args.max_delay)
                    root = Path(tmp) / f"t{index}"
                    trial = await _trial(root, _sync_value(setting), size, delay)
                    published += trial.published
                    acked += len(trial.acked)
                    stored += len(trial.stored)
                    lost += trial.acked_then_lost
                    unacked += trial.stored_unacked
                rate = await _throughput(
                    Path(tmp) / "rate", _sync_value(setting), size, args.seconds
                )
            label = "2m (default)" if setting == "default" else setting
            print(
                f"{label:<14}{size_name:>7}{published:>11,}{acked:>10,}"
                f"{stored:>10,}{lost:>12,}{unacked:>16,}"
                f"{rate:>10,.0f}{rate * size / 1e6:>8,.1f}"
            )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=5, help="kill -9 trials per row")
    parser.add_argument("--seconds", type=float, default=3.0, help="throughput run length")
    parser.add_argument("--min-delay", type=float, default=0.3)
    parser.add_argument("--max-delay", type=float, default=1.5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--settings",
        nargs="+",
        default=list(DEFAULT_SETTINGS),
        help="sync_interval values ('default' is nats-server's 2 minutes)",
    )
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))

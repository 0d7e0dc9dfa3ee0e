"""SIGTERM drains: the projector (standalone, or in ``benchtrail up``) writes and acks what
it holds, then exits 0.

Afterwards the hub holds no unacknowledged delivery, and the warehouse holds exactly the
events up to the consumer's ack floor: nothing acked and unwritten, nothing written and
unacked.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path

import nats

from benchtrail.api.hub.natsserver import NatsServer

from ..hubprocess import hub_process
from .killrig import (
    Corpus,
    consumer_position,
    counts_in_child,
    events_through,
    projector_command,
    publish,
    wait_position,
)

CORPUS = Corpus(sessions=300, batch_points=4, seed=5)
"""43,200 events in 900 frames."""


def test_sigterm_mid_ingestion_exits_promptly_with_everything_acked_written(
    nats_server: NatsServer, tmp_path: Path
):
    warehouse = tmp_path / "warehouse"

    async def scenario() -> tuple[int, float, tuple[int, int, int], int, str]:
        last_seq = await publish(nats_server.url, CORPUS)
        nc = await nats.connect(nats_server.url)
        js = nc.jetstream()
        command = projector_command(nats_server.url, warehouse, batch_max_events=2000)
        process = subprocess.Popen(command, stderr=subprocess.PIPE)  # noqa: ASYNC220
        try:
            await wait_position(js, process, floor=last_seq // 3)
            process.send_signal(signal.SIGTERM)
            t0 = time.monotonic()
            _, stderr = await asyncio.to_thread(process.communicate, timeout=30)
            seconds = time.monotonic() - t0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        position = await consumer_position(js)
        await nc.close()
        return process.returncode, seconds, position, last_seq, stderr.decode()

    status, seconds, (delivered, floor, ack_pending), last_seq, log = asyncio.run(scenario())
    assert status == 0, log
    assert seconds < 10, f"took {seconds:.1f} s to stop"
    assert last_seq // 3 <= floor < last_seq, "the signal came in the middle of the ingestion"
    counts = counts_in_child(warehouse)
    assert counts["events"] + counts["measurement_events"] == events_through(CORPUS, floor), (
        f"the warehouse must hold exactly the frames up to the ack floor {floor}"
    )
    _expect_drained(ack_pending, delivered, floor)


def test_benchtrail_up_sigterm_mid_ingestion_leaves_ack_floor_equal_to_written(tmp_path: Path):
    data_dir = tmp_path / "hub"
    with hub_process(data_dir) as hub:
        url = hub.nats_url

        async def ingest_then_stop() -> int:
            last_seq = await publish(url, CORPUS)
            nc = await nats.connect(url)
            await wait_position(nc.jetstream(), hub.process, floor=last_seq // 3)  # type: ignore[arg-type]
            await nc.close()
            await asyncio.to_thread(hub.stop, signal.SIGTERM)
            return last_seq

        last_seq = asyncio.run(ingest_then_stop())
    assert hub.returncode == 0, hub.output
    assert "stopped cleanly" in hub.after_banner

    async def position_after_restart() -> tuple[int, int, int]:
        with NatsServer(data_dir / "jetstream") as server:
            nc = await nats.connect(server.url)
            try:
                return await consumer_position(nc.jetstream())
            finally:
                await nc.close()

    delivered, floor, ack_pending = asyncio.run(position_after_restart())
    assert floor >= last_seq // 3
    counts = counts_in_child(data_dir / "warehouse")
    assert counts["events"] + counts["measurement_events"] == events_through(CORPUS, floor), (
        f"the warehouse must hold exactly the frames up to the ack floor {floor}"
    )
    _expect_drained(ack_pending, delivered, floor)


def _expect_drained(ack_pending: int, delivered: int, floor: int) -> None:
    """Frames delivered to the stopping projector were written and acked before it exited."""
    assert ack_pending == 0, (
        f"{ack_pending} frames delivered and left unacknowledged at exit"
        f" (delivered {delivered}, ack floor {floor})"
    )

"""``python -m benchtrail.projector`` projects on its own and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

import nats

from benchtrail.projector import ensure_streams
from benchtrail.schemas import EVENTS_STREAM, PROJECTOR_DURABLE


async def acked_stream_seqs(nc: nats.NATS, seen: asyncio.Queue[int]) -> None:
    """Put the stream sequence of every ack the projector sends to BT_EVENTS on ``seen``."""

    async def on_ack(msg) -> None:
        if msg.data not in (b"", b"+ACK"):
            return  # a nak or an in-progress: not written yet
        tokens = msg.subject.split(".")
        consumer_at = tokens.index(PROJECTOR_DURABLE)
        await seen.put(int(tokens[consumer_at + 2]))

    await nc.subscribe(f"$JS.ACK.{EVENTS_STREAM}.{PROJECTOR_DURABLE}.>", cb=on_ack)
    await nc.flush()


def test_standalone_projector_acks_what_it_wrote_and_stops_on_sigterm(
    tmp_path, hub_url, session, publish
):
    command = [
        sys.executable, "-m", "benchtrail.projector", "--hub", hub_url,
        "--warehouse", str(tmp_path / "warehouse"), "--batch-max-wait", "0.05",
    ]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)

    async def scenario() -> int:
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        await ensure_streams(js)
        seen: asyncio.Queue[int] = asyncio.Queue()
        await acked_stream_seqs(nc, seen)
        seq = await publish(js, session.measurements(3))
        async with asyncio.timeout(20):
            while (acked := await seen.get()) != seq:
                assert acked < seq
        await nc.close()
        return seq

    try:
        asyncio.run(scenario())
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0, log
    assert "stopped: ProjectorStats(frames=1, events=3" in log

"""Replay tests: a hub with a varied recorded history, and a look at its consumers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import nats
import numpy as np
import pytest

from benchtrail.agents import connect
from benchtrail.agents.config import InstrumentConfig, StationConfig
from benchtrail.api.hub.embedded import Hub
from benchtrail.schemas import DEAD_STREAM, EVENTS_STREAM, PROJECTOR_DURABLE, event_subject, new_id


@dataclass(frozen=True)
class ConsumerView:
    """The hub's consumers on ``BT_EVENTS`` and the live projector's position."""

    names: frozenset[str]
    ack_floor: int
    delivered: int
    dead_letters: int


def consumers(hub: Hub) -> ConsumerView:
    async def ask() -> ConsumerView:
        nc = await nats.connect(hub.nats.url)
        js = nc.jetstream()
        found = await js.consumers_info(EVENTS_STREAM)
        live = await js.consumer_info(EVENTS_STREAM, PROJECTOR_DURABLE)
        dead = await js.stream_info(DEAD_STREAM)
        await nc.close()
        assert live.ack_floor is not None and live.delivered is not None
        return ConsumerView(
            names=frozenset(info.name for info in found),
            ack_floor=live.ack_floor.stream_seq,
            delivered=live.delivered.stream_seq,
            dead_letters=dead.state.messages,
        )

    return asyncio.run(ask())


def publish_garbage(hub: Hub) -> None:
    """A message the projector cannot decode, on a valid subject (it goes to BT_DEAD)."""

    async def send() -> None:
        nc = await nats.connect(hub.nats.url)
        await nc.jetstream().publish(event_subject("cell-x", new_id()), b"\xc1 garbage")
        await nc.close()

    asyncio.run(send())


def record_history(hub: Hub) -> None:
    """Sessions with runs, steps, single, batched and dimensioned measurements, instrument calls,
    attachments, a log of locks, a log line, explicit times, structured metadata, and one
    undecodable message; everything ingested on return."""
    config = StationConfig(
        id="cell-7",
        instrument_calls="all",
        instruments={"psu": InstrumentConfig(resource="TCPIP::10.0.0.7::INSTR", driver="psu")},
    )
    with connect("cell-7", hub=hub.nats.url, mock=True, config=config) as station:
        psu = station.instrument("psu")
        psu.set(voltage=4.2)
        for serial, offset in (("SN1", 0.0), ("SN2", 0.5)):
            with station.run(dut_serial=serial, part_number="PN-1", test_phase="final") as run:
                with run.step("power"):
                    run.measure("vout", 3.3 + offset, "V", low=3.2, high=3.4)
                    run.measure("label", "ok")
                start = 1_700_000_000_000_000_000
                run.measure_batch(
                    "ripple",
                    np.linspace(0.0, 1.0, 3000),
                    np.arange(3000, dtype=np.int64) * 1000 + start,
                    unit="mV",
                    high=0.9,
                )
                t_ms = np.arange(25_000, dtype=np.float64) / 10
                run.measure_table(  # two parts of at most 60,000 numbers
                    "iv_sweep",
                    {"t": (t_ms, "ms"), "V": (np.sin(t_ms) + offset, "V"), "I": (t_ms / 7, "A")},
                )
    with (
        connect("cell-8", hub=hub.nats.url, session_type="sweep") as station,
        station.run(dut_serial="SN3", structured_metadata={"shape": [3, 5]}) as run,
    ):
        run.measure("iq", 0.012, "A", at=start)
        station.log("rail glitch", "warning", "dut", run_id=run.run_id, at=start + 1)
        run.attach("bias.csv", b"v,i\n0.1,0.012\n")
    publish_garbage(hub)
    hub.wait_ingested()


@pytest.fixture
def recorded_hub(running_hub: Hub) -> Hub:
    """``running_hub`` holding :func:`record_history`."""
    record_history(running_hub)
    return running_hub

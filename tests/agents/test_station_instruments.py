"""Instruments opened through a station session: locks, recorded calls, safe state."""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nats
import pytest

from benchtrail.agents import LeaseLost, ResourceBusy, connect
from benchtrail.agents.config import InstrumentConfig, StationConfig
from benchtrail.agents.instruments import Dmm, Psu
from benchtrail.agents.locks import Holder, Locks, lock_key
from benchtrail.schemas import InstrumentCall, LockAcquired, LockReleased, Log


def bench(station_id: str, calls: str = "all") -> StationConfig:
    return StationConfig(
        id=station_id,
        instrument_calls=calls,  # type: ignore[arg-type]
        instruments={
            "psu": InstrumentConfig(
                resource="USB0::0x2A8D::0x1301::MY1::INSTR",
                driver="psu",
                limits={"max_voltage": 12.0},
            ),
            "dmm": InstrumentConfig(resource="TCPIP::10.0.0.5::INSTR", driver="dmm"),
            "load": InstrumentConfig(resource="GPIB0::22::INSTR", driver="load", shared=True),
        },
    )


@pytest.fixture
def short_leases(hub: str) -> str:
    """The hub's lock bucket with a 1 s lease (created before any station opens it)."""

    async def create() -> None:
        nc = await nats.connect(hub)
        await Locks(nc.jetstream(), lease=1.0).open()
        await nc.close()

    asyncio.run(create())
    return hub


def test_instruments_are_locked_recorded_and_left_safe(hub, read_stream):
    with connect("cell-7", hub=hub, mock=True, config=bench("cell-7")) as station:
        psu = station.instrument("psu")
        dmm = station.instrument("dmm")
        assert isinstance(psu, Psu) and isinstance(dmm, Dmm)
        assert station.instrument("psu") is psu, "opening an alias twice returns the same driver"
        psu.set(voltage=5.0, current_limit=0.5)
        psu.output(True)
        assert psu.voltage == pytest.approx(5.0)
        assert isinstance(dmm.measure_voltage_dc(), float)

    events = read_stream(hub).events
    acquired = [e for e in events if isinstance(e, LockAcquired)]
    released = [e for e in events if isinstance(e, LockReleased)]
    calls = [e for e in events if isinstance(e, InstrumentCall)]
    assert (
        {e.key for e in acquired}
        == {e.key for e in released}
        == {
            "cell-7.USB0=3A=3A0x2A8D=3A=3A0x1301=3A=3AMY1=3A=3AINSTR",
            "cell-7.TCPIP=3A=3A10=2E0=2E0=2E5=3A=3AINSTR",
        }
    )
    psu_calls = [c for c in calls if c.instrument == "psu"]
    assert any(c.command.startswith("VOLT 5") for c in psu_calls)
    settings = [c.command for c in psu_calls if c.command != "SYST:ERR?"]
    assert settings[-1].startswith("OUTP 0"), "safe state: output off on exit"
    token = next(e.fencing_token for e in acquired if "USB0" in e.key)
    assert all(c.fencing_token >= token > 0 for c in psu_calls)
    assert all(c.resource == "USB0::0x2A8D::0x1301::MY1::INSTR" for c in psu_calls)


def test_a_shared_instrument_is_refused_naming_its_holder_then_handed_over(hub):
    first = connect("cell-7", hub=hub, mock=True, config=bench("cell-7")).start()
    second = connect("cell-8", hub=hub, mock=True, config=bench("cell-8")).start()
    try:
        first.instrument("load")
        with pytest.raises(ResourceBusy, match=r"held by station 'cell-7'"):
            second.instrument("load")
        got: list[object] = []
        waiter = threading.Thread(target=lambda: got.append(second.instrument("load", wait=20)))
        waiter.start()
        first.stop()
        waiter.join(30)
        assert got, "the waiting station got the load when the first one stopped"
    finally:
        first.stop()
        second.stop()


def test_an_unknown_alias_is_refused_naming_the_known_ones(hub):
    with (
        connect("cell-7", hub=hub, mock=True, config=bench("cell-7")) as station,
        pytest.raises(ValueError, match=r"configuration \(dmm, load, psu\)"),
    ):
        station.instrument("thermometer")


def test_a_broken_lock_stops_the_next_call_before_it_reaches_the_instrument(short_leases):
    hub = short_leases
    with connect("cell-7", hub=hub, mock=True, config=bench("cell-7")) as station:
        psu = station.instrument("psu")
        psu.set(voltage=3.0)

        async def break_it() -> None:
            nc = await nats.connect(hub)
            locks = await Locks(nc.jetstream()).open()
            [held] = await locks.held()
            await locks.force_release(held.key)
            await nc.close()

        asyncio.run(break_it())
        deadline = time.monotonic() + 5  # the next renewal (lease/3) finds the lock gone
        with pytest.raises(LeaseLost, match="no longer held"):
            while time.monotonic() < deadline:
                psu.set(voltage=3.0)
                time.sleep(0.05)


def test_sigterm_releases_the_lock_and_ends_the_session(hub, read_stream):
    script = Path(__file__).with_name("instrument_holder.py")
    process = subprocess.Popen(
        [sys.executable, str(script), hub], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 128 + signal.SIGTERM
    process.stdout.close()

    async def holders() -> dict[str, object]:
        nc = await nats.connect(hub)
        held = await (await Locks(nc.jetstream()).open()).holders()
        await nc.close()
        return dict(held)

    assert asyncio.run(holders()) == {}, "released at once, not left to expire"
    events = read_stream(hub).events
    assert [type(e).__name__ for e in events][-2:] == ["LockReleased", "SessionEnded"]


def test_a_holder_cut_off_from_the_hub_stops_before_touching_the_instrument(
    nats_server, short_leases
):
    with connect("cell-7", hub=short_leases, mock=True, config=bench("cell-7")) as station:
        psu = station.instrument("psu")
        psu.set(voltage=3.0)
        nats_server.stop()
        time.sleep(1.2)  # one lease (1 s) passes without a renewal reaching the hub
        with pytest.raises(LeaseLost, match="not renewed"):
            psu.set(voltage=4.0)
        nats_server.restart()


def test_a_lock_taken_away_before_release_is_reported_not_recorded_as_released(
    hub, read_stream, caplog
):
    key = lock_key("USB0::0x2A8D::0x1301::MY1::INSTR", "cell-7")

    async def break_and_take() -> None:
        nc = await nats.connect(hub)
        locks = await Locks(nc.jetstream()).open()
        await locks.force_release(key)
        assert await locks.try_acquire(key, Holder(station_id="cell-8")) is not None
        await locks.close()  # the key stays held by cell-8 until its lease runs out
        await nc.close()

    with (
        caplog.at_level(logging.WARNING, logger="benchtrail.agents.rack"),
        connect("cell-7", hub=hub, mock=True, config=bench("cell-7")) as station,
    ):
        station.instrument("psu").write("*CLS")
        asyncio.run(break_and_take())

    events = read_stream(hub).events
    assert [e.key for e in events if isinstance(e, LockAcquired)] == [key]
    assert [e for e in events if isinstance(e, LockReleased)] == []
    [warning] = [e for e in events if isinstance(e, Log) and e.level == "warning"]
    assert key in warning.message and "'cell-7'" in warning.message
    assert "no longer held" in warning.message
    assert any(key in record.getMessage() for record in caplog.records)

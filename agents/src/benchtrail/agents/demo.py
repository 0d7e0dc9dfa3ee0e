"""Simulated stations for ``benchtrail up --demo``: the real drivers on pyvisa-sim.

Each demo station opens a PSU, a DMM and a scope through ``station.instrument``
(locks, recorded calls, safe state) on the pyvisa-sim backend, and tests a stream
of 5 V regulator DUTs: it sets the supply, reads the output and the quiescent
current, and captures the ripple, with limits, so the warehouse fills with passing
and failing runs of several stations.
"""

from __future__ import annotations

import random
import threading

from benchtrail.agents.config import InstrumentConfig, OutboxConfig, StationConfig
from benchtrail.agents.instruments import Dmm, Psu, Scope
from benchtrail.agents.run import Run
from benchtrail.agents.station import Station, connect


def demo_config(station_id: str, outbox_dir: str = "") -> StationConfig:
    """The demo station: a PSU, a DMM and a scope, all simulated; its outbox in ``outbox_dir``."""
    return StationConfig(
        id=station_id,
        outbox=OutboxConfig(dir=outbox_dir),
        name=f"Demo {station_id}",
        type="final-test",
        location="demo line 1",
        instrument_calls="errors",
        instruments={
            "psu": InstrumentConfig(
                resource=f"TCPIP::{station_id}-psu::INSTR",
                driver="psu",
                sim=True,
                limits={"max_voltage": 15.0},
            ),
            "dmm": InstrumentConfig(
                resource=f"TCPIP::{station_id}-dmm::INSTR", driver="dmm", sim=True
            ),
            "scope": InstrumentConfig(
                resource=f"TCPIP::{station_id}-scope::INSTR", driver="scope", sim=True
            ),
        },
    )


def _test_dut(run: Run, station: Station, rng: random.Random) -> None:
    psu, dmm, scope = (
        station.instrument("psu"),
        station.instrument("dmm"),
        station.instrument("scope"),
    )
    assert isinstance(psu, Psu) and isinstance(dmm, Dmm) and isinstance(scope, Scope)
    with run.step("power on"):
        psu.set(voltage=12.0, current_limit=0.5)
        psu.output(True)
        run.measure("vin", psu.voltage, unit="V", low=11.5, high=12.5)
    with run.step("regulation"):
        offset = rng.gauss(0.0, 0.02)  # this DUT's regulator error
        run.measure("vout", dmm.measure_voltage_dc() + offset, unit="V", low=4.95, high=5.05)
        iq = dmm.measure_current_dc() * (1 + rng.gauss(0, 0.05))
        run.measure("iq", iq, unit="A", high=0.135)
    with run.step("ripple"):
        waveform = scope.capture(1)
        run.measure_waveform("ripple", waveform, high=waveform_limit(waveform.values, rng))
    psu.output(False)


def waveform_limit(values: list[float], rng: random.Random) -> float:
    """A ripple limit most DUTs meet: a little above the capture's peak, now and then below."""
    peak = max(abs(v) for v in values)
    return peak * (1.05 if rng.random() > 0.1 else 0.9)


def run_demo_station(
    station_id: str,
    hub: str,
    stop: threading.Event,
    *,
    duts_per_session: int = 20,
    pause: float = 0.5,
    outbox_dir: str = "",
) -> None:
    """Test DUTs on one simulated station until ``stop`` is set (outbox in ``outbox_dir``)."""
    rng = random.Random(station_id)
    lot = 0
    while not stop.is_set():
        lot += 1
        config = demo_config(station_id, outbox_dir)
        operator = rng.choice(["alice", "bob", "chen"])
        with connect(station_id, hub=hub, operator=operator, config=config) as station:
            for n in range(duts_per_session):
                if stop.is_set():
                    break
                serial = f"{station_id.upper()}-{lot:03d}-{n:04d}"
                with station.run(
                    dut_serial=serial,
                    part_number="REG-5V",
                    revision="B",
                    lot_number=f"LOT-{lot:03d}",
                    product_name="5 V regulator",
                    test_phase="production",
                    project_name="demo",
                ) as run:
                    _test_dut(run, station, rng)
                stop.wait(pause)


def start_demo(
    hub: str, stations: int = 3, outbox_dir: str = ""
) -> tuple[threading.Event, list[threading.Thread]]:
    """Start ``stations`` demo stations in threads; set the event to stop them.

    ``outbox_dir`` holds their outbox files (the hub's data directory, not the user's:
    each clone's demo keeps its own); empty: where any station's outbox is.
    """
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=run_demo_station,
            args=(f"demo-{i + 1}", hub, stop),
            kwargs={"outbox_dir": outbox_dir},
            name=f"demo-{i + 1}",
            daemon=True,
        )
        for i in range(stations)
    ]
    for thread in threads:
        thread.start()
    return stop, threads

"""Simulated stations for ``benchtrail up --demo``: real pyvisa over the pyvisa-sim backend.

Each demo station opens a PSU, a DMM and a scope simulated by pyvisa-sim,
and tests a stream of 5 V regulator DUTs: it sets the supply, reads the
output, the quiescent current and the ripple waveform, with limits, so the
warehouse fills with passing and failing runs of several stations.
"""

from __future__ import annotations

import random
import threading
import time
from importlib.resources import files

import numpy as np
import pyvisa

from benchtrail.agents.run import Run
from benchtrail.agents.station import connect

SIM_FILE = files("benchtrail.agents") / "sim" / "demo.yaml"
"""pyvisa-sim description of the demo instruments."""


def open_demo_instruments() -> dict[str, pyvisa.resources.MessageBasedResource]:
    """Open the simulated PSU, DMM and scope through pyvisa's ``@sim`` backend."""
    manager = pyvisa.ResourceManager(f"{SIM_FILE}@sim")
    return {
        alias: manager.open_resource(  # type: ignore[misc]
            f"TCPIP::{alias}.sim::INSTR", read_termination="\n", write_termination="\n"
        )
        for alias in ("psu", "dmm", "scope")
    }


def _test_dut(
    run: Run, instruments: dict[str, pyvisa.resources.MessageBasedResource], rng: random.Random
) -> None:
    psu, dmm, scope = instruments["psu"], instruments["dmm"], instruments["scope"]
    with run.step("power on"):
        psu.write("VOLT 12.0")
        psu.write("OUTP 1")
        run.measure("vin", float(psu.query("VOLT?")), unit="V", low=11.5, high=12.5)
    with run.step("regulation"):
        offset = rng.gauss(0.0, 0.02)  # this DUT's regulator error
        vout = float(dmm.query("MEAS:VOLT:DC?")) + offset
        run.measure("vout", vout, unit="V", low=4.95, high=5.05)
        iq = float(dmm.query("MEAS:CURR:DC?")) * (1 + rng.gauss(0, 0.05))
        run.measure("iq", iq, unit="A", high=0.135)
    with run.step("ripple"):
        curve = np.array([float(x) for x in scope.query("CURV?").split(",")])
        samples = np.tile(curve, 64) * (1 + rng.gauss(0, 0.15))
        start = time.time_ns()
        stamps = start + np.arange(len(samples), dtype=np.int64) * 1_000
        run.measure_batch("ripple", samples, stamps, unit="V", high=0.024)
    psu.write("OUTP 0")


def run_demo_station(
    station_id: str, hub: str, stop: threading.Event, duts_per_session: int = 20, pause: float = 0.5
) -> None:
    """Test DUTs on one simulated station until ``stop`` is set."""
    rng = random.Random(station_id)
    instruments = open_demo_instruments()
    lot = 0
    while not stop.is_set():
        lot += 1
        with connect(
            station_id,
            hub=hub,
            operator=rng.choice(["alice", "bob", "chen"]),
            location="demo line 1",
            station_type="final-test",
        ) as station:
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
                    _test_dut(run, instruments, rng)
                stop.wait(pause)


def start_demo(hub: str, stations: int = 3) -> tuple[threading.Event, list[threading.Thread]]:
    """Start ``stations`` demo stations in threads; set the event to stop them."""
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=run_demo_station,
            args=(f"demo-{i + 1}", hub, stop),
            name=f"demo-{i + 1}",
            daemon=True,
        )
        for i in range(stations)
    ]
    for thread in threads:
        thread.start()
    return stop, threads

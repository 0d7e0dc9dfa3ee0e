"""Sweep a supply's setpoint and current limit, measure the output with a DMM.

Run it with a hub up (``make demo`` in another terminal)::

    uv run python examples/psu_sweep.py

It uses station ``cell-7`` from ``examples/benchtrail.yaml`` with every instrument
simulated (pyvisa-sim), prints the DataFrame, and reads the same table back from the
warehouse through the API.
"""

from __future__ import annotations

import os
from pathlib import Path

from benchtrail.agents import MeasurementSession
from benchtrail.api import EventStore

os.chdir(Path(__file__).parent)  # so examples/benchtrail.yaml describes the station

with MeasurementSession(station="cell-7", name="psu line regulation", mock=True) as session:
    psu = session.instrument("psu")
    dmm = session.instrument("dmm")
    session.parameter("voltage", [1.0, 2.0, 3.0, 4.0, 5.0], unit="V", notes="supply setpoint")
    session.parameter("current", [0.1, 0.5], unit="A")

    @session.acquire(units={"v_measured": "V", "i_measured": "A"})
    def measure(psu, dmm, voltage, current):
        psu.set(voltage=voltage, current_limit=current)
        psu.output(True)
        return {"v_measured": dmm.measure_voltage_dc(), "i_measured": psu.measure_current()}

    experiment = session.run()

print(experiment)
print(experiment.data)

api = os.environ.get("BENCHTRAIL_API", "http://127.0.0.1:8000")
with EventStore(api) as store:
    store.wait_for_run(experiment.metadata.run_id)
    back = store.experiment(experiment.metadata.run_id)
print(f"read back from {api}: identical = {back.data.equals(experiment.data)}")

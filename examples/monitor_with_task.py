"""A timed run: a background task ramps the supply while the DMM is read every 50 ms.

Run it with a hub up (``make demo``)::

    uv run python examples/monitor_with_task.py
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from benchtrail.agents import MeasurementSession

os.chdir(Path(__file__).parent)  # so examples/benchtrail.yaml describes the station

with MeasurementSession(station="cell-7", name="soft start", mock=True) as session:
    session.instrument("psu")
    session.instrument("dmm")
    session.parameter("target", [5.0], unit="V")

    @session.task
    def ramp(psu, target, stop_event: threading.Event):
        psu.output(True)
        level = 0.0
        while not stop_event.is_set() and level < target:
            level = min(target, level + 0.25)
            psu.set(voltage=level)
            session.record("setpoint", level, "V")
            stop_event.wait(0.05)

    @session.acquire(units={"v_out": "V"})
    def monitor(dmm):
        return {"v_out": dmm.measure_voltage_dc()}

    experiment = session.run(duration=2.0, interval=0.05)

print(experiment)
print(experiment.data.tail())
print(f"{len(experiment.records['setpoint'])} setpoints recorded by the task")

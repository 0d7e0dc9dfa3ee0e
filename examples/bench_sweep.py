"""A sweep on the bench described by ``examples/bench.yaml`` (simulated instruments).

The bench file gives the station, the instruments with their safety limits and the
hooks: the supply is set to 0 V and switched on before the first point, and switched
off at the end. A setpoint beyond the bench's ``max_voltage`` is refused before it is
sent. Run it with a hub up (``make demo``)::

    uv run python examples/bench_sweep.py
"""

from __future__ import annotations

from pathlib import Path

from benchtrail.agents import Bench, MeasurementSession, SafetyLimitExceeded

bench = Bench.open(Path(__file__).parent / "bench.yaml")

with MeasurementSession(bench=bench, dut_serial="PB-0001", part_number="PB-5V") as session:
    psu = session.instrument("psu")
    dmm = session.instrument("dmm")
    session.parameter("voltage", [4.5, 5.0, 5.5], unit="V")

    @session.acquire(units={"v_out": "V"})
    def measure(psu, dmm, voltage):
        psu.set(voltage=voltage)
        return {"v_out": dmm.measure_voltage_dc()}

    experiment = session.run()
    print(experiment.data)

    try:
        psu.set(voltage=12.0)
    except SafetyLimitExceeded as refused:
        print(f"refused: {refused}")

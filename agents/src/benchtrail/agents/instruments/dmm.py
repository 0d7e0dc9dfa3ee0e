"""Digital multimeter driver."""

from __future__ import annotations

from typing import ClassVar

from benchtrail.agents.instruments.base import Instrument


class Dmm(Instrument):
    """A SCPI digital multimeter: one-shot ``MEAS`` readings in SI units."""

    kind: ClassVar[str] = "dmm"

    def measure_voltage_dc(self) -> float:
        """Measure DC voltage, in volts."""
        return self.query_float("MEAS:VOLT:DC?")

    def measure_voltage_ac(self) -> float:
        """Measure AC (RMS) voltage, in volts."""
        return self.query_float("MEAS:VOLT:AC?")

    def measure_current_dc(self) -> float:
        """Measure DC current, in amperes."""
        return self.query_float("MEAS:CURR:DC?")

    def measure_resistance(self) -> float:
        """Measure 2-wire resistance, in ohms."""
        return self.query_float("MEAS:RES?")

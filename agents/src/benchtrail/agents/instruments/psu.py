"""Programmable power supply driver."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from benchtrail.agents.instruments.base import Instrument


class Psu(Instrument):
    """A single-output SCPI power supply.

    Safety limits (``safety=``): ``max_voltage`` and ``max_current`` (the current
    limit), checked before anything is sent.
    """

    kind: ClassVar[str] = "psu"
    safety_limits: ClassVar[tuple[str, ...]] = ("max_voltage", "max_current")
    setting_ranges: ClassVar[Mapping[str, tuple[float, float]]] = {
        "voltage": (0.0, 30.0),
        "current_limit": (0.0, 5.0),
    }

    def set(self, voltage: float | None = None, current_limit: float | None = None) -> None:
        """Set the output voltage (V) and/or the current limit (A).

        Both values are checked against the safety limits before either is sent.

        Raises:
            SafetyLimitExceeded: a value is beyond a safety limit; nothing was sent.
            InstrumentError: the supply refused the setting or the I/O failed.
        """
        if voltage is not None:
            self.enforce_limit("voltage", voltage, "max_voltage")
        if current_limit is not None:
            self.enforce_limit("current_limit", current_limit, "max_current")
        if voltage is not None:
            self.send_setting(f"VOLT {voltage:.6f}")
        if current_limit is not None:
            self.send_setting(f"CURR {current_limit:.6f}")

    @property
    def voltage(self) -> float:
        """The voltage setpoint, in volts (queried)."""
        return self.query_float("VOLT?")

    @property
    def current_limit(self) -> float:
        """The current limit, in amperes (queried)."""
        return self.query_float("CURR?")

    def output(self, on: bool) -> None:
        """Switch the output on or off."""
        self.send_setting(f"OUTP {int(on)}")

    @property
    def output_enabled(self) -> bool:
        """Whether the output is on (queried)."""
        return self.query_bool("OUTP?")

    def measure_voltage(self) -> float:
        """Measure the output voltage, in volts."""
        return self.query_float("MEAS:VOLT?")

    def measure_current(self) -> float:
        """Measure the output current, in amperes."""
        return self.query_float("MEAS:CURR?")

    def safe_state(self) -> None:
        """Switch the output off."""
        self.output(False)

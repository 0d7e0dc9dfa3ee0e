"""Electronic load driver."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

from benchtrail.agents.instruments.base import Instrument

LoadMode = Literal["CC", "CV", "CR"]
"""Constant current, constant voltage or constant resistance."""


class ElectronicLoad(Instrument):
    """A single-channel SCPI electronic load.

    Safety limit (``safety=``): ``max_current``, checked before anything is sent.
    """

    kind: ClassVar[str] = "load"
    safety_limits: ClassVar[tuple[str, ...]] = ("max_current",)
    setting_ranges: ClassVar[Mapping[str, tuple[float, float]]] = {"current": (0.0, 30.0)}

    def set_current(self, amperes: float) -> None:
        """Set the constant-current setpoint, in amperes.

        Raises:
            SafetyLimitExceeded: beyond ``max_current``; nothing was sent.
            InstrumentError: the load refused the setting or the I/O failed.
        """
        self.enforce_limit("current", amperes, "max_current")
        self.send_setting(f"CURR {amperes:.6f}")

    @property
    def current(self) -> float:
        """The current setpoint, in amperes (queried)."""
        return self.query_float("CURR?")

    def set_mode(self, mode: LoadMode) -> None:
        """Select constant current, voltage or resistance operation."""
        self.send_setting(f"MODE {mode}")

    @property
    def mode(self) -> str:
        """The operating mode (queried)."""
        return self.query("MODE?").strip()

    def input(self, on: bool) -> None:
        """Switch the load's input on or off."""
        self.send_setting(f"INP {int(on)}")

    @property
    def input_enabled(self) -> bool:
        """Whether the input is on (queried)."""
        return self.query_bool("INP?")

    def measure_voltage(self) -> float:
        """Measure the voltage at the input, in volts."""
        return self.query_float("MEAS:VOLT?")

    def measure_current(self) -> float:
        """Measure the current drawn, in amperes."""
        return self.query_float("MEAS:CURR?")

    def measure_power(self) -> float:
        """Measure the power dissipated, in watts."""
        return self.query_float("MEAS:POW?")

    def safe_state(self) -> None:
        """Switch the input off."""
        self.input(False)

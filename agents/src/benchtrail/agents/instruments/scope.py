"""Oscilloscope driver: capture a waveform with sample timestamps."""

from __future__ import annotations

import time
from typing import ClassVar

import msgspec

from benchtrail.agents.instruments.base import Instrument, OutOfStep


class Waveform(msgspec.Struct, frozen=True, kw_only=True):
    """One captured record, ready for ``run.measure_batch(name, w.values, w.timestamps_ns)``."""

    values: list[float]
    """The samples, in ``unit``."""
    timestamps_ns: list[int]
    """Each sample's time, ns since the epoch (UTC): trigger time + x-origin + i · x-increment."""
    unit: str
    """The unit of the samples (``"V"``)."""
    channel: int = 1
    """The scope channel captured."""
    trigger_ns: int = 0
    """When the acquisition was triggered, ns since the epoch (UTC)."""
    x_increment_ns: float = 0.0
    """The time between samples, ns."""


class Scope(Instrument):
    """A SCPI oscilloscope read as ASCII waveform records."""

    kind: ClassVar[str] = "scope"
    channels: ClassVar[tuple[int, ...]] = (1, 2, 3, 4)
    """The channels :meth:`capture` can read (the shipped simulation has all four)."""

    def capture(self, channel: int = 1) -> Waveform:
        """Acquire one record on ``channel`` and read it back with its timestamps.

        Raises:
            InstrumentError: the scope refused a command, or a reply could not be read
                (even after recovering once).
        """
        with self.io_lock:  # the source stays ours until the record is read
            self.send_setting(f"WAV:SOUR CHAN{channel}")
            self.send_setting("DIG")
            trigger_ns = time.time_ns()
            x_increment = self.query_float("WAV:XINC?")
            x_origin = self.query_float("WAV:XOR?")
            unit = self.query("WAV:YUN?").strip()
            values = self._query_as("WAV:DATA?", _samples)
            start_ns = trigger_ns + round(x_origin * 1e9)
            timestamps = [start_ns + round(i * x_increment * 1e9) for i in range(len(values))]
            return Waveform(
                values=values,
                timestamps_ns=timestamps,
                unit=unit,
                channel=channel,
                trigger_ns=trigger_ns,
                x_increment_ns=x_increment * 1e9,
            )


def _samples(answer: str) -> list[float]:
    """The samples of a comma-separated ASCII waveform record."""
    try:
        return [float(sample) for sample in answer.split(",") if sample.strip()]
    except ValueError as e:
        raise OutOfStep(f"unreadable waveform data: {e}") from e

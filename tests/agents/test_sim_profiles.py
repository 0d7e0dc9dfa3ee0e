"""The shipped pyvisa-sim profiles accept every command each driver sends, over its range."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, get_args

import pytest

from benchtrail.agents.instruments import (
    DRIVERS,
    SIM_RESOURCES,
    Dmm,
    DriverKind,
    ElectronicLoad,
    Instrument,
    InstrumentCallRecord,
    LoadMode,
    Psu,
    Scope,
    open_instrument,
)

Step = Callable[[Instrument], object]
D = TypeVar("D", bound=Instrument)
_CLASS_SETTINGS = {"kind", "safety_limits", "setting_ranges", "channels"}


def edges(low: float, high: float, typical: float) -> list[float]:
    """The values a walk sends for a setting: its edges, just inside them, and in between."""
    tiny = 1e-6
    values = [low, low + tiny, typical, (low + high) / 2, low + (high - low) / 3, high - tiny]
    values += [high, 1e-7]  # 1e-7 is sent as 0.000000
    return values + ([-0.0] if low == 0.0 else [])


def _psu_steps() -> dict[str, list[Step]]:
    volts, amps = Psu.setting_ranges["voltage"], Psu.setting_ranges["current_limit"]

    def set_voltage(value: float) -> Step:
        def step(psu: Instrument) -> None:
            assert isinstance(psu, Psu)
            psu.set(voltage=value)
            assert psu.voltage == pytest.approx(value, abs=1e-4)

        return step

    def set_limit(value: float) -> Step:
        def step(psu: Instrument) -> None:
            assert isinstance(psu, Psu)
            psu.set(current_limit=value)
            assert psu.current_limit == pytest.approx(value, abs=1e-4)

        return step

    return {
        "set": [set_voltage(v) for v in edges(*volts, 12.0)]
        + [set_limit(a) for a in edges(*amps, 0.5)]
        + [lambda psu: _as(psu, Psu).set(voltage=12.0, current_limit=0.5)],
        "voltage": [lambda psu: _as(psu, Psu).voltage],
        "current_limit": [lambda psu: _as(psu, Psu).current_limit],
        "output": [lambda psu: _as(psu, Psu).output(True), lambda psu: _as(psu, Psu).output(False)],
        "output_enabled": [lambda psu: _as(psu, Psu).output_enabled],
        "measure_voltage": [lambda psu: _as(psu, Psu).measure_voltage()],
        "measure_current": [lambda psu: _as(psu, Psu).measure_current()],
        "safe_state": [lambda psu: _as(psu, Psu).safe_state()],
    }


def _load_steps() -> dict[str, list[Step]]:
    def set_current(value: float) -> Step:
        def step(load: Instrument) -> None:
            _as(load, ElectronicLoad).set_current(value)
            assert _as(load, ElectronicLoad).current == pytest.approx(value, abs=1e-4)

        return step

    def set_mode(mode: LoadMode) -> Step:
        def step(load: Instrument) -> None:
            _as(load, ElectronicLoad).set_mode(mode)
            assert _as(load, ElectronicLoad).mode == mode

        return step

    def switch(on: bool) -> Step:
        def step(load: Instrument) -> None:
            _as(load, ElectronicLoad).input(on)
            assert _as(load, ElectronicLoad).input_enabled is on

        return step

    return {
        "set_current": [
            set_current(a) for a in edges(*ElectronicLoad.setting_ranges["current"], 2)
        ],
        "current": [lambda load: _as(load, ElectronicLoad).current],
        "set_mode": [set_mode(mode) for mode in get_args(LoadMode)],
        "mode": [lambda load: _as(load, ElectronicLoad).mode],
        "input": [switch(True), switch(False)],
        "input_enabled": [lambda load: _as(load, ElectronicLoad).input_enabled],
        "measure_voltage": [lambda load: _as(load, ElectronicLoad).measure_voltage()],
        "measure_current": [lambda load: _as(load, ElectronicLoad).measure_current()],
        "measure_power": [lambda load: _as(load, ElectronicLoad).measure_power()],
        "safe_state": [lambda load: _as(load, ElectronicLoad).safe_state()],
    }


def _dmm_steps() -> dict[str, list[Step]]:
    return {
        name: [lambda dmm, name=name: getattr(_as(dmm, Dmm), name)()]
        for name in ("measure_voltage_dc", "measure_voltage_ac", "measure_current_dc")
    } | {"measure_resistance": [lambda dmm: _as(dmm, Dmm).measure_resistance()]}


def _scope_steps() -> dict[str, list[Step]]:
    def capture(channel: int) -> Step:
        def step(scope: Instrument) -> None:
            waveform = _as(scope, Scope).capture(channel)
            assert waveform.channel == channel and len(waveform.values) == 32
            assert scope.query("WAV:SOUR?") == f"CHAN{channel}"

        return step

    return {"capture": [capture(channel) for channel in Scope.channels]}


def _as(instrument: Instrument, cls: type[D]) -> D:
    assert isinstance(instrument, cls)
    return instrument


WALKS: dict[DriverKind, Callable[[], dict[str, list[Step]]]] = {
    "psu": _psu_steps,
    "load": _load_steps,
    "dmm": _dmm_steps,
    "scope": _scope_steps,
}


@pytest.mark.parametrize("kind", list(WALKS))
def test_every_driver_method_over_its_range_is_accepted_by_the_shipped_profile(
    kind: DriverKind,
) -> None:
    recorded: list[InstrumentCallRecord] = []
    walk = WALKS[kind]()
    public = {name for name in vars(DRIVERS[kind]) if not name.startswith("_")} - _CLASS_SETTINGS
    assert public == set(walk), "every public driver method is walked"
    with open_instrument(
        kind, kind, SIM_RESOURCES[kind], sim=True, recorder=recorded.append, level="all"
    ) as instrument:
        for steps in walk.values():
            for step in steps:
                step(instrument)  # an InstrumentError here names the refused command
        instrument.identify()
        instrument.check_errors()
    refused = [r for r in recorded if r.error is not None]
    assert refused == []
    assert len(recorded) > 4

"""Instrument drivers over real pyvisa on the pyvisa-sim backend, with the shipped profiles."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from benchtrail.agents.errors import LeaseLost
from benchtrail.agents.instruments import (
    SIM_RESOURCES,
    Dmm,
    DriverKind,
    ElectronicLoad,
    Instrument,
    InstrumentCallRecord,
    InstrumentError,
    Psu,
    RecordLevel,
    SafetyLimitExceeded,
    Scope,
    UnknownSafetyLimit,
    open_instrument,
    sim_profile,
)

Opener = Callable[..., Instrument]


@pytest.fixture
def open_sim(tmp_path: Path) -> Iterator[Opener]:
    """Open drivers on a private copy of the shipped profile, so no test sees another's state."""
    opened: list[Instrument] = []

    def _open(kind: DriverKind, alias: str | None = None, **options: object) -> Instrument:
        profile = tmp_path / f"{kind}.yaml"
        if not profile.exists():
            shutil.copy(sim_profile(kind), profile)
        instrument = open_instrument(
            alias or kind, kind, SIM_RESOURCES[kind], sim=True, sim_file=str(profile), **options
        )
        opened.append(instrument)
        return instrument

    yield _open
    for instrument in opened:
        instrument.close()


@pytest.mark.parametrize("kind", ["dmm", "psu", "load", "scope"])
@pytest.mark.parametrize("resource", ["TCPIP::{kind}.sim::INSTR", "TCPIP::localhost::INSTR"])
def test_shipped_profiles_identify_and_report_no_error(kind: DriverKind, resource: str) -> None:
    with open_instrument(kind, kind, resource.format(kind=kind), sim=True) as instrument:
        assert instrument.identify().startswith("benchtrail,SIM-")
        assert instrument.query("SYST:ERR?") == '0,"No error"'
        instrument.check_errors()
        assert instrument.kind == kind


def test_dmm_measures_floats(open_sim: Opener) -> None:
    dmm = open_sim("dmm")
    assert isinstance(dmm, Dmm)
    readings = {
        "vdc": dmm.measure_voltage_dc(),
        "vac": dmm.measure_voltage_ac(),
        "idc": dmm.measure_current_dc(),
        "ohm": dmm.measure_resistance(),
    }
    assert all(type(value) is float for value in readings.values())
    assert 5.0 < readings["vdc"] < 5.003
    assert 0.011 < readings["vac"] < 0.014
    assert 0.119 < readings["idc"] < 0.122
    assert 9_998 < readings["ohm"] < 10_004


def test_psu_set_then_get_reflects_setpoint(open_sim: Opener) -> None:
    psu = open_sim("psu")
    assert isinstance(psu, Psu)
    psu.set(voltage=12.0, current_limit=0.5)
    psu.output(True)
    assert psu.voltage == 12.0
    assert psu.current_limit == 0.5
    assert psu.output_enabled is True
    assert 11.99 < psu.measure_voltage() < 12.01
    assert type(psu.measure_current()) is float


def test_psu_safe_state_turns_output_off(open_sim: Opener) -> None:
    psu = open_sim("psu")
    psu.write("OUTP 1")
    assert psu.query("OUTP?") == "1"
    psu.safe_state()
    assert psu.query("OUTP?") == "0"
    assert isinstance(psu, Psu)
    assert psu.output_enabled is False


def test_safety_limit_refuses_before_sending(open_sim: Opener) -> None:
    records: list[InstrumentCallRecord] = []
    psu = open_sim("psu", safety={"max_voltage": 12, "max_current": 2}, recorder=records.append)
    psu.level = "all"
    assert isinstance(psu, Psu)
    with pytest.raises(SafetyLimitExceeded) as refused:
        psu.set(voltage=13.5)
    assert (refused.value.instrument, refused.value.setting) == ("psu", "voltage")
    assert (refused.value.value, refused.value.limit) == (13.5, 12)
    assert "'psu'" in str(refused.value) and "13.5" in str(refused.value)
    with pytest.raises(SafetyLimitExceeded):
        psu.set(voltage=5.0, current_limit=3.0)  # both checked before either is sent
    with pytest.raises(SafetyLimitExceeded):
        psu.set(voltage=float("nan"))
    assert records == []
    assert psu.voltage == 0.0


def test_unknown_safety_limit_is_refused_at_open(open_sim: Opener) -> None:
    with pytest.raises(UnknownSafetyLimit, match="max_power"):
        open_sim("psu", alias="psu2", safety={"max_power": 10})


def test_out_of_range_setting_raises_the_sim_error(open_sim: Opener) -> None:
    psu = open_sim("psu", alias="bench-psu")
    assert isinstance(psu, Psu)
    psu.set(voltage=5.0)
    with pytest.raises(InstrumentError) as failed:
        psu.set(voltage=40.0)
    assert failed.value.instrument == "bench-psu"
    assert failed.value.command == "VOLT 40.000000"
    assert "'bench-psu'" in str(failed.value) and "'VOLT 40.000000'" in str(failed.value)
    assert '-100,"Command error"' in failed.value.detail
    assert psu.voltage == 5.0
    psu.check_errors()  # the queue was drained


def test_unknown_command_error_propagates(open_sim: Opener) -> None:
    dmm = open_sim("dmm")
    with pytest.raises(InstrumentError, match=r"'dmm'.*'CONF:BOGUS 3'.*-100"):
        dmm.send_setting("CONF:BOGUS 3")
    dmm.write("CONF:BOGUS 4")  # a plain write does not check
    with pytest.raises(InstrumentError, match="CONF:BOGUS 4"):
        dmm.check_errors()


def test_unanswered_query_raises_instrument_error(open_sim: Opener) -> None:
    dmm = open_sim("dmm", timeout_ms=50)
    with pytest.raises(InstrumentError, match=r"'dmm'.*'NOPE\?'.*VI_ERROR_TMO"):
        dmm.query("NOPE?")


def test_plus_zero_means_no_error(tmp_path: Path) -> None:
    profile = tmp_path / "plus.yaml"
    profile.write_text(sim_profile("dmm").read_text().replace("'0,", "'+0,"))
    with open_instrument("dmm", "dmm", SIM_RESOURCES["dmm"], sim=True, sim_file=str(profile)) as d:
        assert d.query("SYST:ERR?") == '+0,"No error"'
        d.send_setting("VOLT:DC:NPLC 10.000000")
        assert d.query_float("VOLT:DC:NPLC?") == 10.0


def _calls_with_one_failure(psu: Instrument) -> None:
    assert isinstance(psu, Psu)
    psu.set(voltage=5.0)
    assert psu.voltage == 5.0
    with pytest.raises(InstrumentError):
        psu.set(voltage=40.0)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("off", []),
        ("errors", ["SYST:ERR?"]),
        (
            "all",
            ["VOLT 5.000000", "SYST:ERR?", "VOLT?", "VOLT 40.000000", "SYST:ERR?", "SYST:ERR?"],
        ),
    ],
)
def test_recorder_receives_records_per_level(
    open_sim: Opener, level: RecordLevel, expected: list[str]
) -> None:
    records: list[InstrumentCallRecord] = []
    psu = open_sim("psu", recorder=records.append, level=level)
    _calls_with_one_failure(psu)
    assert [record.command for record in records] == expected
    assert all(record.duration_ns > 0 for record in records)
    assert all(record.instrument == "psu" and "psu.sim" in record.resource for record in records)
    failures = [record for record in records if record.error is not None]
    assert len(failures) == (0 if level == "off" else 1)
    for failure in failures:
        assert failure.error is not None and "VOLT 40.000000" in failure.error
        assert failure.response == '-100,"Command error"'
    if level == "all":
        assert records[2].response == "5.0000" and records[0].response is None
        assert records == sorted(records, key=lambda record: record.occurred_at)


def test_guard_runs_before_every_call_and_stops_it(open_sim: Opener) -> None:
    records: list[InstrumentCallRecord] = []
    checks: list[int] = []
    psu = open_sim("psu", recorder=records.append, level="all")
    assert isinstance(psu, Psu)
    psu.guard = lambda: checks.append(len(records))
    psu.set(voltage=3.0)
    assert checks == [0, 1]  # each check came before its call reached the instrument
    assert len(records) == 2

    def lost() -> None:
        raise LeaseLost("bt.lock.psu", "lease expired")

    psu.guard = lost
    records.clear()
    with pytest.raises(LeaseLost):
        psu.set(voltage=9.0)
    with pytest.raises(LeaseLost):
        psu.query("VOLT?")
    assert records == []
    psu.guard = None
    assert psu.voltage == 3.0


def test_load_settings_measurements_and_safe_state(open_sim: Opener) -> None:
    load = open_sim("load", safety={"max_current": 10})
    assert isinstance(load, ElectronicLoad)
    load.set_mode("CV")
    load.set_current(2.5)
    load.input(True)
    assert (load.mode, load.current, load.input_enabled) == ("CV", 2.5, True)
    assert 11.98 < load.measure_voltage() < 12.02
    assert 1.99 < load.measure_current() < 2.01
    assert 23.9 < load.measure_power() < 24.1
    with pytest.raises(SafetyLimitExceeded):
        load.set_current(12.0)
    with pytest.raises(InstrumentError, match="MODE XX"):
        load.send_setting("MODE XX")
    assert load.mode == "CV"
    load.safe_state()
    assert load.query("INP?") == "0"


def test_scope_capture_aligns_values_and_timestamps(open_sim: Opener) -> None:
    scope = open_sim("scope")
    assert isinstance(scope, Scope)
    waveform = scope.capture(channel=2)
    assert scope.query("WAV:SOUR?") == "CHAN2"
    assert waveform.channel == 2 and waveform.unit == "V"
    assert len(waveform.values) == len(waveform.timestamps_ns) == 32
    assert all(type(value) is float for value in waveform.values)
    assert waveform.values[:3] == [0.012, 0.018, 0.021]
    assert waveform.timestamps_ns[0] == waveform.trigger_ns - 4_000
    steps = {
        b - a for a, b in zip(waveform.timestamps_ns, waveform.timestamps_ns[1:], strict=False)
    }
    assert steps == {1_000}
    with pytest.raises(InstrumentError, match="WAV:SOUR CHAN7"):
        scope.capture(channel=7)


def test_opening_an_unknown_resource_raises(open_sim: Opener) -> None:
    with pytest.raises(InstrumentError, match=r"'ghost'.*TCPIP::nowhere::INSTR"):
        open_instrument("ghost", "dmm", "TCPIP::nowhere::INSTR", sim=True)
    with pytest.raises(InstrumentError, match=r"'ghost'.*not a resource"):
        open_instrument("ghost", "dmm", "not a resource", sim=True)

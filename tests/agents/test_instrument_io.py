"""Request/reply pairing on shared simulated devices, and recovery from replies out of step."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from benchtrail.agents.instruments import (
    Dmm,
    InstrumentCallRecord,
    InstrumentError,
    Psu,
    open_instrument,
    sim_profile,
)

ROUNDS = 250


def _profile(tmp_path: Path, kind: str) -> str:
    profile = tmp_path / f"{kind}.yaml"
    shutil.copy(sim_profile(kind), profile)  # type: ignore[arg-type]
    return str(profile)


def _psu_round(psu: Psu, setpoints: set[float]) -> list[str]:
    """Set, check, read back and measure; return what came back out of place."""
    wrong = []
    psu.set(voltage=12.0, current_limit=0.5)
    psu.output(True)
    if (voltage := psu.voltage) not in setpoints:
        wrong.append(f"VOLT? -> {voltage}")
    if not 11.99 < (measured := psu.measure_voltage()) < 12.01:
        wrong.append(f"MEAS:VOLT? -> {measured}")
    if not (idn := psu.identify()).startswith("benchtrail,SIM-PSU"):
        wrong.append(f"*IDN? -> {idn}")
    psu.check_errors()
    return wrong


def _dmm_round(dmm: Dmm, setpoints: set[float]) -> list[str]:
    wrong = []
    if not 5.0 < (volts := dmm.measure_voltage_dc()) < 5.01:
        wrong.append(f"MEAS:VOLT:DC? -> {volts}")
    if not 0.11 < (amperes := dmm.measure_current_dc()) < 0.13:
        wrong.append(f"MEAS:CURR:DC? -> {amperes}")
    if not (idn := dmm.identify()).startswith("benchtrail,SIM-DMM"):
        wrong.append(f"*IDN? -> {idn}")
    return wrong


def _hammer(jobs: list[Callable[[], list[str]]]) -> tuple[list[str], list[str]]:
    """Run each job ROUNDS times in its own thread; collect wrong replies and errors."""
    wrong: list[str] = []
    failed: list[str] = []

    def loop(job: Callable[[], list[str]]) -> None:
        for _ in range(ROUNDS):
            try:
                wrong.extend(job())
            except InstrumentError as e:
                failed.append(str(e))

    threads = [threading.Thread(target=loop, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return wrong, failed


def test_threads_sharing_simulated_devices_never_read_each_others_replies(tmp_path: Path) -> None:
    """Three stations' PSUs on one simulated device (as the demo opens them), plus a second
    device and a DMM on the same resource manager: thousands of calls, every reply in place."""
    psu_profile, dmm_profile = _profile(tmp_path, "psu"), _profile(tmp_path, "dmm")
    psus = [
        open_instrument(f"psu-{n}", "psu", "TCPIP::psu.sim::INSTR", sim=True, sim_file=psu_profile)
        for n in range(3)
    ] + [open_instrument("psu-4", "psu", "TCPIP::localhost::INSTR", sim=True, sim_file=psu_profile)]
    dmms = [
        open_instrument(f"dmm-{n}", "dmm", "TCPIP::dmm.sim::INSTR", sim=True, sim_file=dmm_profile)
        for n in range(2)
    ]
    setpoints = {12.0}
    jobs: list[Callable[[], list[str]]] = []
    for psu in psus:
        assert isinstance(psu, Psu)
        jobs.append(lambda psu=psu: _psu_round(psu, setpoints))
    for dmm in dmms:
        assert isinstance(dmm, Dmm)
        jobs.append(lambda dmm=dmm: _dmm_round(dmm, setpoints))
    wrong, failed = _hammer(jobs)
    assert failed == []
    assert wrong == []
    assert sum(instrument.recoveries for instrument in psus + dmms) == 0
    for instrument in psus + dmms:
        instrument.close()


@pytest.fixture
def psu(tmp_path: Path) -> tuple[Psu, list[InstrumentCallRecord]]:
    records: list[InstrumentCallRecord] = []
    psu = open_instrument(
        "psu",
        "psu",
        "TCPIP::psu.sim::INSTR",
        sim=True,
        sim_file=_profile(tmp_path, "psu"),
        recorder=records.append,
        level="errors",
    )
    assert isinstance(psu, Psu)
    return psu, records


def test_an_error_queue_answer_left_in_the_buffer_is_recovered_not_fatal(
    psu: tuple[Psu, list[InstrumentCallRecord]],
) -> None:
    instrument, records = psu
    instrument.set(voltage=5.0)
    instrument.resource.write("SYST:ERR?")  # its answer is never read: a reply out of step
    assert instrument.voltage == 5.0
    assert instrument.recoveries == 1
    [record] = records
    assert record.command == "VOLT?" and record.error is not None
    assert "reply out of step" in record.error
    assert """expected a number, got '0,"No error"'""" in record.error
    instrument.set(voltage=6.0)
    assert (instrument.voltage, instrument.recoveries) == (6.0, 1)


def test_a_stray_reply_read_by_the_error_check_is_recovered(
    psu: tuple[Psu, list[InstrumentCallRecord]],
) -> None:
    instrument, records = psu
    instrument.set(voltage=5.0)
    instrument.resource.write("VOLT?")  # "5.0000" waits where SYST:ERR? expects its answer
    instrument.set(voltage=7.0)
    assert instrument.voltage == 7.0
    assert instrument.recoveries == 1
    assert any(
        r.error and "expected an error-queue answer, got '5.0000'" in r.error for r in records
    )


def test_a_bad_setting_is_still_an_error_and_not_retried(
    psu: tuple[Psu, list[InstrumentCallRecord]],
) -> None:
    instrument, _ = psu
    with pytest.raises(InstrumentError, match=r'VOLT 40\.000000.*-100,"Command error"'):
        instrument.set(voltage=40.0)
    assert instrument.recoveries == 0


def test_a_timeout_is_recovered_from_once_then_raised(tmp_path: Path) -> None:
    dmm = open_instrument(
        "dmm",
        "dmm",
        "TCPIP::dmm.sim::INSTR",
        sim=True,
        sim_file=_profile(tmp_path, "dmm"),
        timeout_ms=50,
    )
    with pytest.raises(InstrumentError, match=r"'dmm'.*'NOPE\?'.*VI_ERROR_TMO"):
        dmm.query("NOPE?")
    assert dmm.recoveries == 2  # before the retry, and after it to leave the device in step
    assert dmm.identify().startswith("benchtrail,SIM-DMM")  # in step again
    dmm.check_errors()

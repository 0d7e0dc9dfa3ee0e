"""A pytest session recorded by the plugin: what lands in the warehouse, what pytest shows."""

from __future__ import annotations

import pytest

from benchtrail.agents.locks import lock_key

SUITE = """
import time

import pytest


def test_passes(bt_measure):
    time.sleep(0.2)
    bt_measure("vout", 5.0, "V", low=4.9, high=5.1)


def test_out_of_limits(bt_measure):
    bt_measure("vout", 5.3, "V", low=4.9, high=5.1)
    raise AssertionError("not reached: the measurement above fails the test")


def test_fails():
    assert 1 + 1 == 3


@pytest.fixture
def fixture_broken():
    raise RuntimeError("fixture broke")


def test_setup_error(fixture_broken):
    pass


def test_skipped():
    pytest.skip("no DUT in slot 2")


@pytest.mark.xfail(reason="known ripple issue")
def test_xfail():
    assert False


def test_instruments(bt_instrument, bt_measure):
    psu = bt_instrument("psu")
    psu.set(voltage=5.0, current_limit=0.5)
    psu.output(True)
    dmm = bt_instrument("dmm")
    bt_measure("vin", dmm.measure_voltage_dc(), "V")


def test_instruments_again(bt_instrument):
    bt_instrument("psu")  # ResourceBusy unless the test before gave the psu back
"""

EXPECTED_STEPS = {
    "test_suite.py::test_passes": "passed",
    "test_suite.py::test_out_of_limits": "failed",
    "test_suite.py::test_fails": "failed",
    "test_suite.py::test_setup_error": "error",
    "test_suite.py::test_skipped": "skipped",
    "test_suite.py::test_xfail": "skipped",
    "test_suite.py::test_instruments": "passed",
    "test_suite.py::test_instruments_again": "passed",
}


def test_a_pytest_session_is_recorded_as_one_run_with_a_step_per_test(bench):
    bench.pytester.makepyfile(test_suite=SUITE)
    result = bench.run(
        "--bt-station",
        "cell-7",
        "--bt-dut-serial",
        "SN-1",
        "--bt-part-number",
        "PWR-5V",
        "--bt-lot",
        "L42",
        "--bt-phase",
        "production",
        "--bt-operator",
        "alice",
        "--bt-mock",
    )
    result.assert_outcomes(passed=3, failed=2, errors=1, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines(["*Failed: vout = 5.3 V is above the high limit 5.1 V*"])
    result.stdout.no_fnmatch_line("*not reached*")
    session_id, run_id = check_session_and_run(bench)
    result.stdout.fnmatch_lines(
        [
            f"benchtrail: station 'cell-7' on *, session {session_id}, run {run_id}",
            f"run {run_id} of DUT 'SN-1' on station 'cell-7': failed; 8 step(s), "
            "3 measurement(s), 1 failed",
        ]
    )
    check_steps(bench)
    check_measurements(bench)
    check_instruments(bench)


def check_session_and_run(bench):
    """One ``pytest`` session, one run of the DUT with its verdict; returns their ids."""
    (session,) = bench.rows(
        "SELECT session_id, session_type, operator_id, client_name FROM {db}.sessions FINAL"
    )
    assert session["session_type"] == "pytest"
    assert session["operator_id"] == "alice"
    assert session["client_name"] == "pytest"
    (run,) = bench.rows(
        "SELECT r.run_id AS run_id, r.session_id AS session_id, dut_serial, dut_part_number,"
        " dut_lot_number, test_phase, e.outcome AS outcome, e.step_count AS step_count,"
        " e.measurement_count AS measurement_count, e.error AS error"
        " FROM {db}.runs AS r FINAL JOIN {db}.run_ends AS e FINAL ON r.run_id = e.run_id"
    )
    assert run["session_id"] == session["session_id"]
    dut = (run["dut_serial"], run["dut_part_number"], run["dut_lot_number"], run["test_phase"])
    assert dut == ("SN-1", "PWR-5V", "L42", "production")
    assert run["outcome"] == "failed"
    assert (run["step_count"], run["measurement_count"]) == (8, 3)
    assert "test_suite.py::test_fails" in run["error"]
    (ended,) = bench.rows("SELECT count() AS n FROM {db}.session_ends FINAL")
    assert ended["n"] == 1
    return session["session_id"], run["run_id"]


def check_steps(bench):
    """Each test is one step named by its node id, with its outcome, duration and reason."""
    steps = bench.rows("SELECT name, phase, outcome, duration_ns, error FROM {db}.steps FINAL")
    ended = {s["name"]: s for s in steps if s["phase"] == "ended"}
    started = [s["name"] for s in steps if s["phase"] == "started"]
    assert sorted(started) == sorted(EXPECTED_STEPS)
    assert len(ended) == len(steps) - len(started)
    assert {name: s["outcome"] for name, s in ended.items()} == EXPECTED_STEPS
    assert 0.2e9 <= ended["test_suite.py::test_passes"]["duration_ns"] < 10e9
    assert all(s["duration_ns"] > 0 for s in ended.values())
    errors = {name: s["error"] for name, s in ended.items()}
    assert (
        "vout = 5.3 V is above the high limit 5.1 V" in errors["test_suite.py::test_out_of_limits"]
    )
    assert "fixture broke" in errors["test_suite.py::test_setup_error"]
    assert "no DUT in slot 2" in errors["test_suite.py::test_skipped"]
    assert errors["test_suite.py::test_xfail"] == "xfail: known ripple issue"


def check_measurements(bench):
    """Measurements carry the node id of their test as their step."""
    measurements = bench.rows(
        "SELECT name, value, unit, outcome, step FROM {db}.measurements FINAL ORDER BY ts"
    )
    assert [(m["name"], m["step"], m["outcome"]) for m in measurements] == [
        ("vout", "test_suite.py::test_passes", "passed"),
        ("vout", "test_suite.py::test_out_of_limits", "failed"),
        ("vin", "test_suite.py::test_instruments", "unset"),
    ]
    assert measurements[1]["value"] == 5.3


def check_instruments(bench):
    """``bt_instrument`` holds a lock for one test and leaves the instrument safe."""
    locks = bench.rows("SELECT key, action FROM {db}.locks FINAL ORDER BY occurred_at")
    by_key: dict[str, list[str]] = {}
    for lock in locks:
        by_key.setdefault(lock["key"], []).append(lock["action"])
    assert by_key == {
        lock_key("TCPIP::10.0.0.7::INSTR", "cell-7"): ["acquired", "released"] * 2,
        lock_key("TCPIP::10.0.0.5::INSTR", "cell-7"): ["acquired", "released"],
    }
    commands = [
        c["command"]
        for c in bench.rows(
            "SELECT command FROM {db}.instrument_calls FINAL"
            " WHERE instrument = 'psu' ORDER BY occurred_at"
        )
    ]
    assert commands.index("OUTP 1") < commands.index("OUTP 0")


PASSING = """
def test_a(bt_measure):
    bt_measure("vout", 5.0, "V", 4.9, 5.1)
"""

SETUP_ERROR = """
import pytest


@pytest.fixture
def broken():
    raise OSError("no fixture")


def test_a():
    pass


def test_b(broken):
    pass
"""

STOPPED = """
import pytest


def test_a():
    pass


def test_b():
    pytest.exit("operator pressed stop")


def test_c():
    pass
"""

TERMINATED = """
import os
import signal
import threading


def test_a():
    pass


def test_b():
    os.kill(os.getpid(), signal.SIGTERM)  # e.g. CI cancelling the job
    threading.Event().wait(10)


def test_c():
    pass
"""


@pytest.mark.parametrize(
    ("suite", "exit_code", "outcome", "steps"),
    [
        (PASSING, 0, "passed", {"test_a": "passed"}),
        (SETUP_ERROR, 1, "error", {"test_a": "passed", "test_b": "error"}),
        (STOPPED, 2, "aborted", {"test_a": "passed", "test_b": "aborted"}),
        (TERMINATED, 2, "aborted", {"test_a": "passed", "test_b": "aborted"}),
    ],
    ids=["passed", "error", "stopped", "terminated"],
)
def test_the_run_outcome_follows_the_tests(bench, suite, exit_code, outcome, steps):
    bench.pytester.makepyfile(test_outcome=suite)
    result = bench.run("--bt-station", "cell-7", "--bt-dut-serial", "SN-2")
    assert result.ret == exit_code
    assert "NOT recorded" not in result.stdout.str()
    (run,) = bench.rows(
        "SELECT e.outcome AS outcome FROM {db}.runs AS r FINAL"
        " JOIN {db}.run_ends AS e FINAL ON r.run_id = e.run_id WHERE dut_serial = 'SN-2'"
    )
    assert run["outcome"] == outcome
    ended = bench.rows("SELECT name, outcome FROM {db}.steps FINAL WHERE phase = 'ended'")
    assert {s["name"].removeprefix("test_outcome.py::"): s["outcome"] for s in ended} == steps


LONG_NAME = "test_" + "vout_at_full_load_" * 16

LONG_ID = f"""
def {LONG_NAME}(bt_measure):
    bt_measure("vout", 5.0, "V")
"""


def test_a_node_id_too_long_for_a_step_name_is_shortened_and_still_recorded(bench):
    bench.pytester.makepyfile(test_long=LONG_ID)
    result = bench.run("--bt-station", "cell-7")
    result.assert_outcomes(passed=1)
    nodeid = f"test_long.py::{LONG_NAME}"
    assert len(nodeid) > 256
    steps = bench.rows("SELECT name, phase FROM {db}.steps FINAL")
    assert sorted(s["phase"] for s in steps) == ["ended", "started"]
    (name,) = {s["name"] for s in steps}
    assert len(name) == 256
    assert name.startswith(nodeid[:200])
    (measurement,) = bench.rows("SELECT step FROM {db}.measurements FINAL")
    assert measurement["step"] == name

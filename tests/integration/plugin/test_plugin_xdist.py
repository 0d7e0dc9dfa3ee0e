"""With pytest-xdist: every test's step exactly once, measurements from the workers."""

from __future__ import annotations

SUITE = """
import pytest


@pytest.mark.parametrize("millivolts", range(6))
def test_vout(bt_measure, millivolts):
    bt_measure("vout", 5.0 + millivolts / 1000, "V", low=4.9, high=5.1)


def test_quiescent_current(bt_measure):
    bt_measure("iq", 0.2, "A", high=0.15)


@pytest.mark.parametrize("attempt", range(2))
def test_vin(bt_instrument, bt_measure, attempt):
    dmm = bt_instrument("dmm", wait=30)  # the workers take turns with the station's dmm
    bt_measure("vin", dmm.measure_voltage_dc(), "V")
"""

NODE_IDS = sorted(
    [f"test_suite.py::test_vout[{n}]" for n in range(6)]
    + ["test_suite.py::test_quiescent_current"]
    + [f"test_suite.py::test_vin[{n}]" for n in range(2)]
)


def test_workers_record_into_the_controllers_run(bench):
    bench.pytester.makeini("[pytest]\nbenchtrail_station = cell-7\nbenchtrail_dut_serial = SN-3\n")
    bench.pytester.makepyfile(test_suite=SUITE)
    result = bench.run("--bt-mock", "-n", "2")
    result.assert_outcomes(passed=8, failed=1)
    result.stdout.fnmatch_lines(["*Failed: iq = 0.2 A is above the high limit 0.15 A*"])

    sessions = {
        s["session_id"]: s["session_type"]
        for s in bench.rows("SELECT session_id, session_type FROM {db}.sessions FINAL")
    }
    assert list(sessions.values()) == ["pytest"] * 3  # the controller and two workers
    (run,) = bench.rows(
        "SELECT r.run_id AS run_id, r.session_id AS session_id, dut_serial, e.outcome AS outcome,"
        " e.step_count AS step_count, e.measurement_count AS measurement_count,"
        " e.failed_measurement_count AS failed_count"
        " FROM {db}.runs AS r FINAL JOIN {db}.run_ends AS e FINAL ON r.run_id = e.run_id"
    )
    assert (run["dut_serial"], run["outcome"]) == ("SN-3", "failed")
    assert (run["step_count"], run["measurement_count"], run["failed_count"]) == (9, 9, 1)
    controller = run["session_id"]

    steps = bench.rows("SELECT name, phase, outcome, session_id, run_id FROM {db}.steps FINAL")
    for phase in ("started", "ended"):
        assert sorted(s["name"] for s in steps if s["phase"] == phase) == NODE_IDS
    assert {(s["session_id"], s["run_id"]) for s in steps} == {(controller, run["run_id"])}
    outcomes = {s["name"]: s["outcome"] for s in steps if s["phase"] == "ended"}
    assert outcomes.pop("test_suite.py::test_quiescent_current") == "failed"
    assert set(outcomes.values()) == {"passed"}

    measurements = bench.rows("SELECT name, step, session_id, run_id FROM {db}.measurements FINAL")
    assert sorted(m["step"] for m in measurements) == NODE_IDS
    assert {m["run_id"] for m in measurements} == {run["run_id"]}
    workers = set(sessions) - {controller}
    assert {m["session_id"] for m in measurements} <= workers

    logs = bench.rows("SELECT session_id, payload FROM {db}.events FINAL WHERE type = 'log'")
    assert {log["session_id"] for log in logs} == workers  # each worker says whose run it records
    assert all(f"recording into run {run['run_id']}" in log["payload"] for log in logs)

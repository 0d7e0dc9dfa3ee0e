"""A real OpenHTF test, recorded by the BenchtrailOutput callback, queried back from ClickHouse."""

from __future__ import annotations

import json
import time
from typing import Any

import openhtf as htf
from openhtf.util import configuration, units

from benchtrail.agents import connect
from benchtrail.agents.adapters.openhtf import LOGGER, BenchtrailOutput
from benchtrail.api.hub.embedded import Hub

PHASE_SECONDS = 0.05


@htf.measures(
    htf.Measurement("vout").in_range(4.9, 5.1).with_units(units.VOLT),
    htf.Measurement("firmware").equals("1.2.3"),
    htf.Measurement("rail_count").in_range(minimum=2),
)
def power_on(test: Any) -> None:
    time.sleep(PHASE_SECONDS)  # the work a real phase does; its step must carry this duration
    test.measurements.vout = 5.01
    test.measurements.firmware = "1.2.3"
    test.measurements.rail_count = 3


@htf.measures(
    htf.Measurement("ripple").in_range(maximum=0.05).with_units("V"),
    htf.Measurement("power_good").equals(True),
    htf.Measurement("iv_curve").with_dimensions(units.VOLT).with_units(units.AMPERE),
    htf.Measurement("never_set"),
    htf.Measurement("readback"),
)
def check_ripple(test: Any) -> None:
    test.measurements.ripple = 0.2  # above 0.05 V: fails the phase and the test
    test.measurements.power_good = True
    for volts in (1, 2):
        test.measurements.iv_curve[volts] = volts / 10
    test.measurements.readback = None  # nothing to record: a log event says so


def calibrate(test: Any) -> htf.PhaseResult:
    return htf.PhaseResult.SKIP


def short_circuit(test: Any) -> None:
    raise RuntimeError("rail 3V3 shorted to ground")


def _execute(hub: Hub, test: htf.Test) -> tuple[str, str]:
    """Run ``test`` on station bench-3 with the callback; return (session id, run id)."""
    with connect("bench-3", hub=hub.nats.url) as station:
        output = BenchtrailOutput(station)
        test.add_output_callbacks(output)
        # OpenHTF's station id comes from its global configuration; restored afterwards.
        configuration.CONF.save_and_restore(station_id="htf-bench-3")(test.execute)(
            test_start=lambda: "SN-1"
        )
        assert output.last_run is not None
        run_id = output.last_run.run_id
        session_id = station.session_id
    hub.wait_ingested()
    return session_id, run_id


def _rows(hub: Hub, sql: str, run_id: str) -> list[dict[str, Any]]:
    warehouse = hub.warehouse
    assert warehouse is not None
    return warehouse.rows(sql.format(db=warehouse.database), {"r": run_id})


def _adapter_logs(hub: Hub, session_id: str) -> list[dict[str, Any]]:
    warehouse = hub.warehouse
    assert warehouse is not None
    rows = warehouse.rows(
        f"SELECT payload FROM {warehouse.database}.events FINAL"
        " WHERE session_id = {s:String} AND type = 'log'",
        {"s": session_id},
    )
    logs = [json.loads(row["payload"]) for row in rows]
    return [log for log in logs if log["logger"] == LOGGER]


def test_a_failing_test_becomes_a_failed_run_with_steps_and_measurements(running_hub: Hub):
    test = htf.Test(
        power_on, check_ripple, calibrate, test_name="psu_board", part_number="PWR-5V", lot="L42"
    )
    session_id, run_id = _execute(running_hub, test)

    [run] = _rows(
        running_hub,
        "SELECT dut_serial, dut_part_number, custom_metadata FROM {db}.runs FINAL"
        " WHERE run_id = {{r:String}}",
        run_id,
    )
    assert run["dut_serial"] == "SN-1"
    assert run["dut_part_number"] == "PWR-5V"
    custom = json.loads(run["custom_metadata"])
    assert custom["test_name"] == "psu_board"
    assert custom["lot"] == "L42"
    assert custom["openhtf.version"] == htf.__version__
    assert custom["openhtf.station_id"] == "htf-bench-3"
    assert custom["openhtf.outcome"] == "FAIL"
    assert custom["openhtf.end_time_millis"] >= custom["openhtf.start_time_millis"] > 0
    assert not any(key.startswith("config") for key in custom)

    [end] = _rows(
        running_hub,
        "SELECT outcome, measurement_count, failed_measurement_count, step_count, duration_ns"
        " FROM {db}.run_ends FINAL WHERE run_id = {{r:String}}",
        run_id,
    )
    # trigger phase (sets the DUT id), power_on, check_ripple, calibrate
    assert end["outcome"] == "failed"
    assert end["step_count"] == 4
    assert end["measurement_count"] == 6  # never_set and readback (None) are not recorded
    assert end["failed_measurement_count"] == 1
    assert end["duration_ns"] >= PHASE_SECONDS * 1e9

    steps = _rows(
        running_hub,
        "SELECT name, outcome, duration_ns, error FROM {db}.steps FINAL"
        " WHERE run_id = {{r:String}} AND phase = 'ended'",
        run_id,
    )
    by_step = {s["name"]: s for s in steps}
    assert {name: s["outcome"] for name, s in by_step.items()} == {
        "trigger_phase": "passed",
        "power_on": "passed",
        "check_ripple": "failed",
        "calibrate": "skipped",
    }
    # The phase's own duration (from OpenHTF's start/end times), not the callback's.
    assert PHASE_SECONDS * 1e9 <= by_step["power_on"]["duration_ns"] < 10e9

    rows = _rows(
        running_hub,
        "SELECT name, value, value_str, value_kind, unit, low, high, outcome, step"
        " FROM {db}.measurements FINAL WHERE run_id = {{r:String}}",
        run_id,
    )
    m = {row["name"]: row for row in rows}
    assert set(m) == {"vout", "firmware", "rail_count", "ripple", "power_good"}
    assert m["vout"] == {
        "name": "vout",
        "value": 5.01,
        "value_str": "",
        "value_kind": "float",
        "unit": "V",
        "low": 4.9,
        "high": 5.1,
        "outcome": "passed",
        "step": "power_on",
    }
    assert (m["ripple"]["unit"], m["ripple"]["low"], m["ripple"]["high"]) == ("V", None, 0.05)
    assert (m["ripple"]["outcome"], m["ripple"]["step"]) == ("failed", "check_ripple")
    assert (m["rail_count"]["value"], m["rail_count"]["value_kind"]) == (3.0, "int")
    assert (m["rail_count"]["low"], m["rail_count"]["high"]) == (2.0, None)
    # A regex validator (equals on text) keeps OpenHTF's verdict but gives no limits.
    assert (m["firmware"]["value_str"], m["firmware"]["value_kind"]) == ("1.2.3", "str")
    assert (m["firmware"]["outcome"], m["firmware"]["low"], m["firmware"]["high"]) == (
        "passed",
        None,
        None,
    )
    assert (m["power_good"]["value"], m["power_good"]["value_kind"]) == (1.0, "bool")
    assert m["power_good"]["outcome"] == "passed"
    # A dimensioned measurement is a table: a column per axis, with its name and unit.
    [iv] = _rows(
        running_hub,
        "SELECT axis_names, axis_units, axis_values, outcome FROM {db}.measurement_tables FINAL"
        " WHERE run_id = {{r:String}}",
        run_id,
    )
    assert (iv["axis_names"], iv["axis_units"]) == (["volt", "ampere"], ["V", "A"])
    assert (iv["axis_values"], iv["outcome"]) == ([[1.0, 2.0], [0.1, 0.2]], "passed")

    [log] = _adapter_logs(running_hub, session_id)
    assert "'readback' of phase 'check_ripple' not recorded" in log["message"]
    assert log["run_id"] == run_id


def test_a_phase_raising_gives_an_error_run_naming_the_exception(running_hub: Hub):
    test = htf.Test(power_on, short_circuit, calibrate, test_name="psu_board")
    session_id, run_id = _execute(running_hub, test)

    [end] = _rows(
        running_hub,
        "SELECT outcome, error FROM {db}.run_ends FINAL WHERE run_id = {{r:String}}",
        run_id,
    )
    assert end["outcome"] == "error"
    assert "rail 3V3 shorted to ground" in end["error"]
    steps = _rows(
        running_hub,
        "SELECT name, outcome, error FROM {db}.steps FINAL"
        " WHERE run_id = {{r:String}} AND phase = 'ended'",
        run_id,
    )
    by_step = {s["name"]: (s["outcome"], s["error"]) for s in steps}
    assert by_step["short_circuit"] == ("error", "RuntimeError: rail 3V3 shorted to ground")
    assert by_step["power_on"] == ("passed", "")
    assert "calibrate" not in by_step  # OpenHTF stops at the error
    assert _adapter_logs(running_hub, session_id) == []  # every value was recordable

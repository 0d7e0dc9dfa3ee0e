"""OpenHTF's own examples, recorded through BenchtrailOutput and compared with OpenHTF's JSON.

Each example runs once with two output callbacks: OpenHTF's ``OutputToJSON`` and
``BenchtrailOutput``. What the API returns is then compared with the JSON field
by field, times included (to the ms, OpenHTF's resolution): the run's start and
end, each phase's start, end and duration, each measurement's value, unit,
limits, marginal limits, docstring, verdict and the time it was set, and the log
records at or above the configured level.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openhtf as htf
import pytest
from openhtf.output.callbacks import json_factory

from benchtrail.agents import connect
from benchtrail.agents.adapters.openhtf import BenchtrailOutput
from benchtrail.api import EventStore
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.models.entities import RunDetail
from benchtrail.api.models.logs import LogLine

from . import openhtf_examples as examples

MS = 1_000_000
_STEP_OUTCOMES = {"PASS": "passed", "FAIL": "failed", "SKIP": "skipped", "ERROR": "error"}
_RUN_OUTCOMES = {"PASS": "passed", "FAIL": "failed", "ERROR": "error", "ABORTED": "aborted"}
_LEVELS = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}
_MARGINAL = re.compile(r"Marginal:(?P<value>[-\d.e]+)")

EXAMPLES: dict[str, Callable[[], htf.Test]] = {
    "hello_world": lambda: htf.Test(examples.hello_world),
    "measurements": lambda: htf.Test(*examples.MEASUREMENTS_PHASES),
    "all_the_things": examples.all_the_things,
    "phase_groups_basic": examples.basic_group,
    "phase_groups_nested_error": examples.nested_error_groups,
}


def _record(
    hub: Hub, tmp_path: Path, make_test: Callable[[], htf.Test], log_level: str
) -> tuple[dict[str, Any], Any, RunDetail, list[LogLine]]:
    """Run an example with both callbacks; return OpenHTF's JSON and record, and what is stored."""
    out = tmp_path / "record.json"
    records: list[Any] = []
    test = make_test()
    with connect("htf-examples", hub=hub.nats.url) as station:
        output = BenchtrailOutput(station, log_level=log_level)
        test.add_output_callbacks(json_factory.OutputToJSON(str(out)), records.append, output)
        test.execute(test_start=lambda: "MyDutId")
        assert output.last_run is not None
        run_id = output.last_run.run_id
    hub.wait_ingested()
    with EventStore(hub.api_url) as store:
        return json.loads(out.read_text()), records[0], store.run(run_id), store.logs(run_id)


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_an_example_is_stored_as_openhtf_wrote_it_times_included(
    running_hub: Hub, tmp_path: Path, example: str
) -> None:
    written, record, run, logs = _record(running_hub, tmp_path, EXAMPLES[example], "INFO")

    assert run.dut_serial == written["dut_id"] == "MyDutId"
    assert run.outcome == _RUN_OUTCOMES[written["outcome"]]
    assert run.started_at_ns == written["start_time_millis"] * MS
    assert run.ended_at_ns == written["end_time_millis"] * MS
    assert run.duration_ns == (written["end_time_millis"] - written["start_time_millis"]) * MS

    phases = written["phases"]
    assert [s.name for s in run.steps] == [p["name"] for p in phases]
    for step, phase in zip(run.steps, phases, strict=True):
        assert step.outcome == _STEP_OUTCOMES[phase["outcome"]], phase["name"]
        assert step.started_at_ns == phase["start_time_millis"] * MS, phase["name"]
        assert step.ended_at_ns == phase["end_time_millis"] * MS, phase["name"]
        assert step.duration_ns == step.ended_at_ns - step.started_at_ns

    everything = _expected_measurements(written, record)
    expected = {key: m for key, m in everything.items() if not isinstance(m["value"], list)}
    dimensioned = {key: m for key, m in everything.items() if isinstance(m["value"], list)}
    with EventStore(running_hub.api_url) as store:  # with their axes: see test_openhtf_dimensions
        tables = {(t.step, t.name): t for t in store.measurement_tables(run.run_id).items}
    assert set(tables) == set(dimensioned)
    for key, want in dimensioned.items():
        assert tables[key].recorded_at_ns == want["ts_ns"], key
        assert tables[key].outcome == want["outcome"], key
        assert tables[key].point_count == len(want["value"]), key
    stored = {(m.step, m.name): m for m in run.measurements}
    assert set(stored) == set(expected)
    for key, want in expected.items():
        got = stored[key]
        assert got.ts_ns == want["ts_ns"], key
        assert got.outcome == want["outcome"], key
        assert got.description == want["description"], key
        assert got.unit == want["unit"], key
        assert (got.marginal_low, got.marginal_high) == want["marginal_limits"], key
        assert got.marginal == want["marginal"], key
        if isinstance(want["value"], str):
            assert (got.value_str, got.value_kind) == (want["value"], "str"), key
        else:
            assert got.value == pytest.approx(want["value"], abs=0), key

    kept = sorted(
        (r for r in written["log_records"] if r["level"] >= logging.INFO),
        key=lambda r: r["timestamp_millis"],
    )
    assert [(line.at_ns, line.level, line.message, line.logger, line.source) for line in logs] == [
        (
            r["timestamp_millis"] * MS,
            _LEVELS[r["level"]],
            r["message"],
            r["logger_name"],
            f"{r['source']}:{r['lineno']}",
        )
        for r in kept
    ]


def _expected_measurements(written: dict[str, Any], record: Any) -> dict[tuple[str, str], Any]:
    """OpenHTF's measurements (set ones only), by (phase, name), from its JSON and record."""
    set_times = {
        (phase.name, m.name): (m.set_time_millis, m.marginal)
        for phase in record.phases
        for m in (phase.measurements or {}).values()
    }
    expected: dict[tuple[str, str], Any] = {}
    for phase in written["phases"]:
        for name, m in phase["measurements"].items():
            if "measured_value" not in m:
                continue
            set_millis, marginal = set_times[(phase["name"], name)]
            units = m.get("units") or {}
            expected[(phase["name"], name)] = {
                "value": m["measured_value"],
                "outcome": _STEP_OUTCOMES[m["outcome"]] if m["outcome"] != "UNSET" else "unset",
                "description": m.get("docstring", ""),
                "unit": units.get("suffix", "") if units.get("code") not in ("", "NDL") else "",
                "marginal_limits": _marginal_limits(m.get("validators", [])),
                "marginal": marginal,
                "ts_ns": (set_millis or phase["end_time_millis"]) * MS,
            }
    return expected


def _marginal_limits(described: list[str]) -> tuple[float | None, float | None]:
    """The marginal limits OpenHTF prints: ``5 <= Marginal:9 <= x <= Marginal:11 <= 17``."""
    for text in described:
        low, _, high = text.partition(" x ")
        lows, highs = _MARGINAL.findall(low), _MARGINAL.findall(high)
        if lows or highs:
            return (
                float(lows[0]) if lows else None,
                float(highs[0]) if highs else None,
            )
    return None, None


def test_log_records_below_the_level_are_left_out(running_hub: Hub, tmp_path: Path) -> None:
    written, _, _, logs = _record(
        running_hub, tmp_path, lambda: htf.Test(*examples.MEASUREMENTS_PHASES), "WARNING"
    )
    assert any(r["level"] == logging.INFO for r in written["log_records"])
    assert all(line.level in ("warning", "error", "critical") for line in logs)
    warnings = [r for r in written["log_records"] if r["level"] >= logging.WARNING]
    assert len(logs) == len(warnings)

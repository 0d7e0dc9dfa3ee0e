"""Bench files: validated with errors naming file, key and line; limits, hooks, examples."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchtrail.agents import (
    Bench,
    ConfigError,
    MeasurementSession,
    SafetyLimitExceeded,
)
from benchtrail.api import EventStore
from benchtrail.api.hub.embedded import Hub

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_the_example_bench_opens_with_its_instruments_and_limits():
    bench = Bench.open(EXAMPLES / "bench.yaml")
    assert bench.name == "psu line regulation"
    assert bench.station.id == "cell-7"
    assert set(bench.station.instruments) == {"psu", "dmm", "load"}
    assert bench.station.instruments["psu"].limits == {"max_voltage": 6.0, "max_current": 1.0}
    assert all(i.sim for i in bench.station.instruments.values())
    assert [h.text for h in bench.hooks["post_experiment"]] == ["psu.output(False)"]


def test_bench_session_runs_hooks_and_enforces_limits(running_hub: Hub, tmp_path: Path):
    bench = Bench.open(EXAMPLES / "bench.yaml")
    with MeasurementSession(bench=bench, hub=running_hub.nats.url, dut_serial="PB-1") as session:
        psu = session.instrument("psu")
        assert psu.output_enabled is True  # pre_experiment: psu.output(True)
        assert psu.voltage == 0.0
        session.parameter("voltage", [5.0, 5.5, 7.0], unit="V")

        @session.acquire
        def measure(psu, voltage):
            psu.set(voltage=voltage)
            return {"setpoint": psu.voltage}

        with pytest.raises(SafetyLimitExceeded, match=r"'psu': voltage 7 is beyond .* 6; nothing"):
            session.run()
        assert psu.voltage == 5.5  # the 7 V setpoint never reached the supply
    running_hub.wait_ingested()
    with EventStore(running_hub.api_url) as store:
        runs = store.runs()
        logs = store.events(runs[0].session_id, event_type="log")
    assert {r.dut_serial for r in runs} == {"PB-1"}
    assert runs[0].custom_metadata["board_revision"] == "C"
    assert runs[0].outcome == "error"
    hooks = [getattr(e, "message", "") for e in logs]
    assert any("pre_experiment: psu.output(True)" in m for m in hooks)


def test_post_hooks_run_when_the_session_closes(running_hub: Hub):
    bench = Bench.open(EXAMPLES / "bench.yaml")
    with MeasurementSession(bench=bench, hub=running_hub.nats.url) as session:
        session.parameter("voltage", [1.0])
        session.acquire(lambda psu, voltage: {"v": psu.voltage})
        session.run()
        session_id = session.station.session_id
    running_hub.wait_ingested()
    with EventStore(running_hub.api_url) as store:
        logs = [getattr(e, "message", "") for e in store.events(session_id, event_type="log")]
    assert logs == [
        "bench 'psu line regulation' pre_experiment: psu.set(voltage=0.0, current_limit=0.5)",
        "bench 'psu line regulation' pre_experiment: psu.output(True)",
        "bench 'psu line regulation' post_experiment: psu.output(False)",
    ]


@pytest.mark.parametrize(
    ("text", "key", "line", "problem"),
    [
        (
            "bench: b\nstation: {id: c}\ninstruments: {}\nsimulat: true\n",
            "simulat",
            4,
            "unknown key",
        ),
        (
            "bench: b\nstation: {id: c}\ninstruments:\n  psu:\n    resource: USB0::1::INSTR\n"
            "    driver: power\n",
            "instruments.psu.driver",
            6,
            "expected",
        ),
        (
            "bench: b\nstation: {id: c}\ninstruments:\n  psu:\n    resource: USB0::1::INSTR\n"
            "    driver: psu\n    safety_limits: {max_volts: 5}\n",
            "instruments.psu.safety_limits.max_volts",
            7,
            "known: max_voltage, max_current",
        ),
        (
            "bench: b\nstation: {id: c}\ninstruments:\n  dmm:\n    resource: USB0::1::INSTR\n"
            "    driver: dmm\nautomation:\n  pre_experiment: ['psu.output(False)']\n",
            "automation.pre_experiment",
            8,
            "no instrument 'psu'",
        ),
        (
            "bench: b\nstation: {id: c}\ninstruments:\n  dmm:\n    resource: USB0::1::INSTR\n"
            "    driver: dmm\nautomation:\n  pre_experiment: ['dmm.explode()']\n",
            "automation.pre_experiment",
            8,
            "has no method 'explode'",
        ),
        ("bench: b\nstation: [\n", "", 3, "invalid YAML"),
    ],
)
def test_bad_bench_files_name_file_key_and_line(tmp_path, text, key, line, problem):
    path = tmp_path / "bench.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        Bench.open(path)
    assert error.value.file == str(path)
    assert error.value.key_path == key
    assert error.value.line == line
    assert problem in str(error.value)


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("psu_sweep.py", "identical = True"),
        ("bench_sweep.py", "refused: instrument 'psu': voltage 12"),
        ("monitor_with_task.py", "setpoints recorded by the task"),
    ],
)
def test_examples_run_against_a_hub(running_hub: Hub, tmp_path, script, expected):
    env = {
        **os.environ,
        "BENCHTRAIL_HUB": running_hub.nats.url,
        "BENCHTRAIL_API": running_hub.api_url,
        "HOME": str(tmp_path),
    }
    env.pop("BENCHTRAIL_STATION", None)
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout

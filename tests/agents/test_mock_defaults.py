"""``connect(..., mock=True)`` in a bare directory: the shipped simulations by driver kind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchtrail.agents import connect
from benchtrail.agents.config import StationConfig
from benchtrail.agents.instruments import SIM_RESOURCES
from benchtrail.schemas import LockAcquired

BARE_SCRIPT = """
from benchtrail.agents import connect

with connect("cell-7", mock=True) as station:
    psu, dmm = station.instrument("psu"), station.instrument("dmm")
    load, scope = station.instrument("load"), station.instrument("scope")
    psu.set(voltage=5.0, current_limit=0.5)
    psu.output(True)
    load.set_current(0.1)
    with station.run(dut_serial="SN123") as run:
        run.measure("vout", dmm.measure_voltage_dc(), unit="V")
        run.measure_waveform("ripple", scope.capture(1))
    print(type(psu).__name__, type(dmm).__name__, type(load).__name__, type(scope).__name__)
    print(run.outcome)
"""


def test_mock_opens_every_driver_kind_in_a_bare_directory(hub, tmp_path: Path):
    """No benchtrail.yaml, no user file: the README's first mock snippet still runs."""
    bare = tmp_path / "bare"
    bare.mkdir()
    env = {**os.environ, "HOME": str(bare), "BENCHTRAIL_HUB": hub}
    env.pop("BENCHTRAIL_STATION", None)
    done = subprocess.run(
        [sys.executable, "-c", BARE_SCRIPT],
        check=False,
        cwd=bare,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["Psu Dmm ElectronicLoad Scope", "passed"]


def test_each_simulated_kind_is_locked_on_its_own_resource(hub, read_stream):
    with connect("cell-7", hub=hub, mock=True, config=StationConfig(id="cell-7")) as station:
        for kind in ("psu", "dmm", "load", "scope"):
            station.instrument(kind)
    acquired = [e for e in read_stream(hub).events if isinstance(e, LockAcquired)]
    assert sorted(e.resource for e in acquired) == sorted(SIM_RESOURCES.values())
    assert len({e.key for e in acquired}) == 4


def test_an_unknown_alias_under_mock_names_the_aliases_and_kinds(hub):
    with (
        connect("cell-7", hub=hub, mock=True, config=StationConfig(id="cell-7")) as station,
        pytest.raises(ValueError, match=r"none defined\), a driver kind to simulate "),
    ):
        station.instrument("thermometer")


def test_without_mock_a_driver_kind_is_not_opened_unconfigured(hub):
    with (
        connect("cell-7", hub=hub, config=StationConfig(id="cell-7")) as station,
        pytest.raises(ValueError, match=r"\(none defined\), or resource= and driver="),
    ):
        station.instrument("psu")

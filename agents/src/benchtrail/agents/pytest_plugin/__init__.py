"""benchtrail's pytest plugin (inactive unless ``--bt-station`` or the ini option is set).

Loaded by every pytest run through the ``pytest11`` entry point ``benchtrail``. Enabled,
it records the pytest session as a benchtrail session with one run of the DUT and one
step per test; the fixtures ``bt_station``, ``bt_run``, ``bt_instrument`` and
``bt_measure`` give tests the station, the run, instruments and measurements.
See ``docs/pytest-plugin.md``.
"""

from benchtrail.agents.pytest_plugin.fixtures import (
    InstrumentFactory,
    MeasureFixture,
    bt_instrument,
    bt_measure,
    bt_run,
    bt_station,
)
from benchtrail.agents.pytest_plugin.hooks import pytest_addoption, pytest_configure
from benchtrail.agents.pytest_plugin.options import Settings

__all__ = [
    "InstrumentFactory",
    "MeasureFixture",
    "Settings",
    "bt_instrument",
    "bt_measure",
    "bt_run",
    "bt_station",
    "pytest_addoption",
    "pytest_configure",
]

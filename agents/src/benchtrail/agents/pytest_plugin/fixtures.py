"""The fixtures: ``bt_station``, ``bt_run``, ``bt_instrument`` and ``bt_measure``.

When the plugin is not enabled, a test using any of them is skipped with a message
saying how to enable it: the suite still runs on a desk without a hub.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import pytest

from benchtrail.agents.pytest_plugin.options import ENABLE_HINT
from benchtrail.agents.pytest_plugin.state import RECORDER
from benchtrail.agents.pytest_plugin.steps import step_name

if TYPE_CHECKING:
    from benchtrail.agents.instruments import DriverKind, Instrument
    from benchtrail.agents.pytest_plugin.recorder import Recorder
    from benchtrail.agents.rack import Rack
    from benchtrail.agents.run import Run
    from benchtrail.agents.station import Station
    from benchtrail.schemas import MeasurementOutcome


class InstrumentFactory:
    """``bt_instrument``: opens instruments for one test and gives them back after it.

    ``dmm = bt_instrument("dmm")`` opens the station's instrument ``dmm`` holding its
    lock (see :meth:`benchtrail.agents.Station.instrument`). After the test every
    instrument it opened is put in its safe state, closed, and its lock released.
    """

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self._rack: Rack | None = None

    def __call__(
        self,
        alias: str,
        resource: str | None = None,
        driver: DriverKind | None = None,
        *,
        sim: bool | None = None,
        wait: float = 0.0,
        shared: bool | None = None,
        safety: Mapping[str, float] | None = None,
    ) -> Instrument:
        """Open ``alias`` (the same arguments as ``station.instrument``).

        Raises:
            ResourceBusy: the lock is held elsewhere (``wait`` seconds were not enough).
        """
        if self._rack is None:
            self._rack = self._recorder.rack()
        return self._rack.instrument(
            alias, resource, driver, sim=sim, wait=wait, shared=shared, safety=safety
        )

    def __repr__(self) -> str:
        return f"bt_instrument(station={self._recorder.station.station_id!r})"

    def close(self) -> None:
        """Safe state, close and unlock every instrument opened through this factory."""
        if self._rack is not None:
            self._rack.close()
            self._rack = None


class MeasureFixture:
    """``bt_measure``: records a measurement in the run under the test's step.

    A value outside its limits is recorded, then fails the test with a message such as
    ``vout = 5.3 V is above the high limit 5.1 V``.
    """

    def __init__(self, run: Run, step: str) -> None:
        self.run = run
        self.step = step

    def __repr__(self) -> str:
        return f"bt_measure(run={self.run.run_id!r}, step={self.step!r})"

    def __call__(
        self,
        name: str,
        value: float | int | bool | str,
        unit: str = "",
        low: float | None = None,
        high: float | None = None,
    ) -> MeasurementOutcome:
        """Record ``value`` with its unit and limits; return its verdict.

        Raises:
            InvalidMeasurement: the measurement cannot be recorded (nothing is).
            pytest.fail.Exception: the value is outside its limits (it is recorded).
        """
        __tracebackhide__ = True
        outcome = self.run.measure(name, value, unit, low=low, high=high, step=self.step)
        if outcome == "failed":
            pytest.fail(limit_failure(name, value, unit, low, high))
        return outcome


def limit_failure(
    name: str, value: float | int | bool | str, unit: str, low: float | None, high: float | None
) -> str:
    """Say why a value failed its limits: ``vout = 5.3 V is above the high limit 5.1 V``."""
    if isinstance(value, str):
        limits = " and ".join(
            f"the {which} limit {_quantity(limit, unit)}"
            for which, limit in (("low", low), ("high", high))
            if limit is not None
        )
        return f"{name} = {value!r} is not a number, so it cannot meet {limits}"
    shown = _quantity(value, unit)
    if high is not None and float(value) > high:
        return f"{name} = {shown} is above the high limit {_quantity(high, unit)}"
    return f"{name} = {shown} is below the low limit {_quantity(low, unit)}"


def _quantity(number: float | int | bool | None, unit: str) -> str:
    text = repr(number) if isinstance(number, float) else str(number)
    return f"{text} {unit}" if unit else text


def _recorder(request: pytest.FixtureRequest) -> Recorder:
    recorder: Recorder | None = request.config.stash.get(RECORDER, None)
    if recorder is None:
        pytest.skip(f"benchtrail is not enabled: {ENABLE_HINT}")
    return recorder


@pytest.fixture(scope="session")
def bt_station(request: pytest.FixtureRequest) -> Station:
    """This process's benchtrail session (a :class:`benchtrail.agents.Station`)."""
    return _recorder(request).station


@pytest.fixture(scope="session")
def bt_run(request: pytest.FixtureRequest) -> Run:
    """The run of the DUT that this pytest session records (a :class:`benchtrail.agents.Run`)."""
    return _recorder(request).run


@pytest.fixture
def bt_instrument(request: pytest.FixtureRequest) -> Iterator[InstrumentFactory]:
    """Open instruments by alias for this test: ``dmm = bt_instrument("dmm")``."""
    factory = InstrumentFactory(_recorder(request))
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def bt_measure(request: pytest.FixtureRequest, bt_run: Run) -> MeasureFixture:
    """Record a measurement under this test's step; out of limits fails the test."""
    return MeasureFixture(bt_run, step_name(request.node.nodeid))

"""``MeasurementSession``: parameters, sweeps, ``@acquire``, background ``@task``s.

A measurement session is a benchtrail station session whose runs are
experiments: every ``run()`` records one run, its parameters in ``run.started``,
its points as ``measurement.batch`` events (see :mod:`benchtrail.schemas.experiment`),
and returns an :class:`Experiment` whose ``data`` is a polars DataFrame.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TypeVar, overload

from benchtrail.agents.errors import (
    AcquireResultError,
    InvalidParameter,
    SessionNotActive,
)
from benchtrail.agents.instruments import DriverKind, Instrument
from benchtrail.agents.run import Run
from benchtrail.agents.station import Station
from benchtrail.agents.validation import check_custom_metadata
from benchtrail.agents.workflows.bench import Bench
from benchtrail.agents.workflows.binding import UserFunction, bind, check_return_annotation
from benchtrail.agents.workflows.parameters import (
    Parameter,
    check_identifier,
    make_parameter,
)
from benchtrail.agents.workflows.plan import Dut, Plan
from benchtrail.agents.workflows.points import Column, PointTable
from benchtrail.agents.workflows.recording import open_station, record_column, safe_state
from benchtrail.agents.workflows.records import Records
from benchtrail.agents.workflows.sweep import experiment_info, sweep
from benchtrail.agents.workflows.tasks import TaskGroup
from benchtrail.schemas import (
    EXPERIMENT_STEP,
    CustomValue,
    Experiment,
    MeasurementOutcome,
    MeasurementValue,
    now_ns,
)

F = TypeVar("F", bound=UserFunction)


class MeasurementSession:
    """A session of sweeps and timed acquisitions on one station.

    Use it with ``with`` or ``async with``::

        with MeasurementSession("psu line regulation", station="cell-7", mock=True) as session:
            psu, dmm = session.instrument("psu"), session.instrument("dmm")
            session.parameter("voltage", [1.0, 2.0, 3.0], unit="V")

            @session.acquire
            def measure(psu, dmm, voltage):
                psu.set(voltage=voltage)
                return {"v_measured": dmm.measure_voltage_dc()}

            experiment = session.run()

    Args:
        name: what the session measures, kept on every run as the ``experiment``
            metadata (default: ``metadata["experiment"]``, else the bench's name).
        station: a station id (resolved like ``connect()``), or a connected
            :class:`Station` to record into (it is left open at the end).
        hub: the NATS URL (default: the station configuration).
        operator: who runs it.
        mock: open every instrument on pyvisa-sim.
        bench: a :class:`Bench` file giving the station, instruments and hooks.
        instruments: instruments already open, by alias (offered to acquire functions).
        metadata: kept on every run (``custom_metadata``): text, numbers or flags.
        dut_serial: the DUT of every run (also ``part_number``, ``lot_number``,
            ``test_phase``, ``project_name``).
        progress: show a progress bar; None shows it when stderr is a terminal.
    """

    def __init__(
        self,
        name: str = "",
        *,
        station: str | Station | None = None,
        hub: str | None = None,
        operator: str = "",
        mock: bool = False,
        bench: Bench | None = None,
        instruments: Mapping[str, object] | None = None,
        metadata: Mapping[str, object] | None = None,
        dut_serial: str = "",
        part_number: str = "",
        lot_number: str = "",
        test_phase: str = "",
        project_name: str = "",
        progress: bool | None = None,
    ) -> None:
        self.metadata = {**(bench.metadata if bench else {}), **check_custom_metadata(metadata)}
        named = str(self.metadata.get("experiment", ""))
        self.name = name or named or (bench.name if bench else "") or "measurement session"
        self.bench = bench
        self.progress = progress
        self.experiments: list[Experiment] = []
        self._station_arg = station
        self._hub, self._operator, self._mock = hub, operator, mock
        self._dut = Dut(dut_serial, part_number, lot_number, test_phase, project_name)
        self._station: Station | None = None
        self._owns_station = False
        self._instruments: dict[str, object] = {}
        self._given = dict(instruments or {})
        for alias in self._given:
            check_identifier("instrument", alias)
        self._parameters: dict[str, Parameter] = {}
        self._acquires: list[tuple[UserFunction, dict[str, str]]] = []
        self._tasks: list[UserFunction] = []
        self._records = Records(lambda: self._dut.start(self.station, self._run_metadata()))

    # -- lifecycle -----------------------------------------------------------

    @property
    def station(self) -> Station:
        """The station session events are recorded in."""
        if self._station is None:
            raise SessionNotActive(str(self._station_arg or "?"), "new")
        return self._station

    def start(self) -> MeasurementSession:
        """Open the station session (done by ``with``) and run the bench's start hooks."""
        if self._station is not None:
            return self
        self._station, self._owns_station = open_station(
            self._station_arg, self.bench, hub=self._hub, operator=self._operator, mock=self._mock
        )
        self._instruments.update(self._given)
        if self.bench is not None:
            self.bench.run_hooks("pre_experiment", self)
        return self

    def close(self, error: BaseException | None = None) -> None:
        """End the ad-hoc run, run the bench's end hooks, safe state, close the session."""
        station = self._station
        if station is None:
            return
        try:
            self._records.close(error)
            if self.bench is not None and error is None:
                self.bench.run_hooks("post_experiment", self)
        finally:
            safe_state(self._given.values())
            self._station = None
            if self._owns_station:
                station.stop(reason="" if error is None else repr(error))
            else:
                station.flush()

    def __enter__(self) -> MeasurementSession:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(exc)

    async def __aenter__(self) -> MeasurementSession:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.close, exc)

    # -- declaring -------------------------------------------------------------

    def instrument(
        self,
        alias: str,
        resource: str | None = None,
        driver: DriverKind | None = None,
        *,
        sim: bool | None = None,
        wait: float = 0.0,
        safety: Mapping[str, float] | None = None,
    ) -> Instrument:
        """Open an instrument (holding its lock) and offer it to acquire functions by alias.

        Arguments as :meth:`benchtrail.agents.Station.instrument`.
        """
        check_identifier("instrument", alias)
        if alias in self._parameters:
            raise InvalidParameter(
                alias, "is already a parameter; an instrument needs another name"
            )
        instrument = self.station.instrument(
            alias, resource, driver, sim=sim, wait=wait, safety=safety
        )
        self._instruments[alias] = instrument
        return instrument

    @property
    def instruments(self) -> dict[str, object]:
        """The instruments offered to acquire functions and tasks, by alias."""
        return dict(self._instruments)

    def parameter(
        self, name: str, values: Iterable[object], unit: str = "", notes: str = ""
    ) -> Parameter:
        """Declare a swept parameter; ``run()`` visits every combination of all of them.

        Raises:
            InvalidParameter: bad or duplicate name, no values, or a value that is not
                a finite number, a flag or text.
        """
        parameter = make_parameter(name, values, unit, notes)
        if name in self._parameters or name in self._instruments or name in self._given:
            raise InvalidParameter(name, "is already declared in this session")
        self._parameters[name] = parameter
        return parameter

    @overload
    def acquire(self, function: F, *, units: Mapping[str, str] | None = None) -> F: ...

    @overload
    def acquire(
        self, function: None = None, *, units: Mapping[str, str] | None = None
    ) -> Callable[[F], F]: ...

    def acquire(
        self, function: F | None = None, *, units: Mapping[str, str] | None = None
    ) -> F | Callable[[F], F]:
        """Register a function called at every point; it returns ``{result name: value}``.

        Its arguments are filled by name with instruments and parameter values.
        Use as ``@session.acquire`` or ``@session.acquire(units={"v_out": "V"})``.
        """

        def register(f: F) -> F:
            check_return_annotation(f)
            self._acquires.append((f, dict(units or {})))
            return f

        return register if function is None else register(function)

    def task(self, function: F) -> F:
        """Register a background task run in a thread during every ``run()``.

        It gets instruments (and single-valued parameters) by name and ``stop_event``,
        a :class:`threading.Event` set when the run ends: return soon after it is set.
        """
        self._tasks.append(function)
        return function

    # -- recording --------------------------------------------------------------

    def record(
        self,
        key: str,
        value: object,
        unit: str = "",
        *,
        low: float | None = None,
        high: float | None = None,
    ) -> MeasurementOutcome:
        """Record an ad-hoc result (not a column of the sweep); return its verdict.

        During ``run()`` it belongs to that run; otherwise to the session's own run.
        Values are kept in :attr:`records` by key.
        """
        return self._records.record(key, value, unit, low, high)

    @property
    def records(self) -> dict[str, list[MeasurementValue]]:
        """Values recorded with :meth:`record` in this session, by key, in order.

        An experiment's own ``records`` hold those recorded during its ``run()``.
        """
        return {key: list(values) for key, values in self._records.by_key.items()}

    @property
    def record_run_id(self) -> str | None:
        """The run :meth:`record` writes to outside ``run()``; None before the first record."""
        adhoc = self._records.adhoc
        return adhoc.run_id if adhoc is not None else None

    def _run_metadata(self, name: str | None = None) -> dict[str, CustomValue]:
        return {**self.metadata, "experiment": name or self.name}

    # -- running ----------------------------------------------------------------

    def run(
        self,
        *,
        duration: float | None = None,
        interval: float = 0.1,
        name: str | None = None,
        progress: bool | None = None,
        dut_serial: str | None = None,
    ) -> Experiment:
        """Run the experiment: a sweep over every parameter combination, or a timed run.

        Without ``duration`` every acquire function is called once per point of the
        grid (the first parameter changes slowest). With ``duration`` (seconds) they
        are called every ``interval`` seconds until it ends; parameters must then
        have a single value each. Tasks run in the background in both cases.

        Raises:
            AcquireSignatureError: an acquire function or task asks for an unknown
                argument (before anything is measured).
            AcquireResultError: an acquire function returned something other than a
                mapping (nothing of that point is recorded).
            TaskFailed: a task raised; the run was stopped.
        """
        if not self._acquires:
            raise AcquireResultError(
                "run", "no acquire function: decorate one with @session.acquire"
            )
        plan = Plan.make(list(self._parameters.values()), duration, interval)
        instruments = self.instruments
        stop_event = threading.Event()
        acquires = [bind(f, instruments, plan.swept, {}) for f, _ in self._acquires]
        tasks = [bind(t, instruments, (), plan.constants, stop_event) for t in self._tasks]
        units = {k: v for _, u in self._acquires for k, v in u.items()}
        label = name or self.name
        run = self._dut.start(
            self.station,
            self._run_metadata(label),
            [p.info() for p in plan.parameters],
            dut_serial,
        )
        table = PointTable(
            plan.parameters,
            units,
            lambda column, values, stamps: self._record_column(run, column, values, stamps),
        )
        started = now_ns()
        try:
            with self._records.during(run) as in_run, run, run.step(EXPERIMENT_STEP):
                sweep(
                    plan,
                    acquires,
                    TaskGroup(tasks, stop_event),
                    table,
                    label=label,
                    show=self.progress if progress is None else progress,
                    station=self.station,
                )
        except BaseException:
            safe_state(self._instruments.values())
            raise
        info = experiment_info(
            self.station,
            run,
            plan,
            label=label,
            metadata=self._run_metadata(label),
            units=units,
            points=len(table),
            started_ns=started,
        )
        experiment = Experiment(info, table.to_polars, dict(in_run))
        self.experiments.append(experiment)
        return experiment

    async def arun(
        self,
        *,
        duration: float | None = None,
        interval: float = 0.1,
        name: str | None = None,
        progress: bool | None = None,
        dut_serial: str | None = None,
    ) -> Experiment:
        """:meth:`run` in a worker thread, for ``async`` code."""
        return await asyncio.to_thread(
            self.run,
            duration=duration,
            interval=interval,
            name=name,
            progress=progress,
            dut_serial=dut_serial,
        )

    def _record_column(
        self, run: Run, column: Column, values: list[CustomValue | None], stamps: list[int]
    ) -> None:
        run.measurement_count += record_column(self.station, run.run_id, column, values, stamps)

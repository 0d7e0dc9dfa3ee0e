"""How a run visits its points: the DUT fields, the plan (grid or ticks), the point taker."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from benchtrail.agents.errors import AcquireResultError, InvalidMetadata, InvalidParameter
from benchtrail.agents.workflows.binding import Bound
from benchtrail.agents.workflows.parameters import Parameter, grid, grid_size
from benchtrail.agents.workflows.points import PointTable
from benchtrail.schemas import CustomValue, ParameterInfo

if TYPE_CHECKING:
    from benchtrail.agents.run import Run
    from benchtrail.agents.station import Station


class Dut(NamedTuple):
    """The DUT fields every run of the session is recorded with."""

    serial: str
    part_number: str
    lot_number: str
    test_phase: str
    project_name: str

    def start(
        self,
        station: Station,
        metadata: Mapping[str, CustomValue],
        parameters: Sequence[ParameterInfo] = (),
        serial: str | None = None,
    ) -> Run:
        return station.run(
            serial or self.serial,
            self.part_number,
            lot_number=self.lot_number,
            test_phase=self.test_phase,
            project_name=self.project_name,
            custom_metadata=metadata,
            parameters=parameters,
        )


class Plan:
    """Which points a run visits: the grid of a sweep, or ticks of a timed run."""

    def __init__(
        self,
        parameters: list[Parameter],
        duration: float | None,
        interval: float,
    ) -> None:
        self.parameters = parameters
        self.names = [p.name for p in parameters]
        self.duration = duration
        self.interval = interval
        self.swept = self.names
        self.constants: dict[str, CustomValue] = {
            p.name: p.values[0] for p in parameters if len(p.values) == 1
        }
        self.total = None if duration is not None else grid_size(parameters)

    @classmethod
    def make(cls, parameters: list[Parameter], duration: float | None, interval: float) -> Plan:
        if duration is not None:
            if not duration > 0 or not interval > 0:
                raise InvalidMetadata("duration/interval", (duration, interval), "positive seconds")
            swept = [p.name for p in parameters if len(p.values) > 1]
            if swept:
                raise InvalidParameter(
                    swept[0], "a timed run (duration=...) takes single-valued parameters only"
                )
        return cls(parameters, duration, interval)

    def points(self, stop: threading.Event) -> Iterable[Sequence[CustomValue]]:
        """The points in order; stops early when ``stop`` is set (a task failed or ended)."""
        if self.duration is None:
            stopped = stop.is_set
            for values in grid(self.parameters):
                if stopped():
                    return
                yield values
            return
        values = tuple(p.values[0] for p in self.parameters)
        start = time.monotonic()
        deadline = start + self.duration
        tick = 0
        while not stop.is_set():
            now = time.monotonic()
            if now >= deadline:
                return
            yield values
            tick += 1
            wake = min(start + tick * self.interval, deadline)
            stop.wait(max(0.0, wake - time.monotonic()))


class PointTaker:
    """Calls the acquire functions for one point and keeps what they return."""

    def __init__(
        self,
        acquires: list[Bound],
        names: list[str],
        table: PointTable,
        runner: asyncio.Runner | None,
    ) -> None:
        self.acquires = [(bound, bound.caller(names, runner)) for bound in acquires]
        self.table = table
        self.source = ", ".join(f"{b.name}()" for b in acquires)
        self.take = self._take_one if len(acquires) == 1 else self._take_merged
        self._only, self._call = self.acquires[0]
        self._add = table.add
        self._splat = self._only.splat(names)
        if self._splat is not None:
            self.take = self._take_splat

    def _take_splat(self, values: Sequence[CustomValue]) -> None:
        """One acquire function taking exactly the parameters, in order: ``f(*values)``."""
        result = self._splat(*values)  # type: ignore[misc]  # set when this is chosen
        if type(result) is not dict:
            result = as_mapping(self._only, result)
        self._add(values, result, self.source)

    def _take_one(self, values: Sequence[CustomValue]) -> None:
        result = self._call(values)
        if type(result) is not dict:
            result = as_mapping(self._only, result)
        self._add(values, result, self.source)

    def _take_merged(self, values: Sequence[CustomValue]) -> None:
        self._add(values, self._merged(values), self.source)

    def _merged(self, values: Sequence[CustomValue]) -> dict[str, object]:
        results: dict[str, object] = {}
        owners: dict[str, str] = {}
        for bound, call in self.acquires:
            for key, value in as_mapping(bound, call(values)).items():
                if key in results:
                    raise AcquireResultError(
                        bound.name, f"result {key!r} was already returned by {owners[key]}()"
                    )
                results[key], owners[key] = value, bound.name
        return results


def as_mapping(bound: Bound, result: object) -> Mapping[str, object]:
    """An acquire function's result as a mapping, or AcquireResultError naming it."""
    if not isinstance(result, Mapping):
        raise AcquireResultError(
            bound.name,
            f"returned {type(result).__name__} {result!r}; return a dict of result name → value",
        )
    return result

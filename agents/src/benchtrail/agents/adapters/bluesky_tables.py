"""Bluesky multi-motor scans → one dimensioned measurement per run: motors, then readings.

A ``grid_scan`` (or any plan whose start document names two motors or more) measures
its detectors at points of a grid. Besides the per-data-key batches of
``bluesky.py``, the ``primary`` stream is kept as a table and recorded at ``stop``
with ``run.measure_table``: the motors' readbacks first (the coordinates, in the
start document's ``motors`` order), then every other numeric data key, each with its
``units``. An event lacking a value or holding one that is not a finite number
leaves the table out (with one log event); the batches still hold every point.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from benchtrail.agents.errors import InvalidMeasurement
from benchtrail.agents.measurement_tables import AxisColumn
from benchtrail.agents.run import Run
from benchtrail.schemas import Log

STREAM = "primary"
"""The stream kept as a table (a plan's main readings)."""
MIN_MOTORS = 2
"""Scans over fewer motors are left to the batches (a table adds nothing to one x)."""


@dataclass
class _Grid:
    """The points of one run's primary stream, one list of values per data key."""

    run: Run
    motors: list[str]
    units: dict[str, str] = field(default_factory=dict)
    values: dict[str, list[float]] = field(default_factory=dict)
    descriptor: str = ""
    broken: str = ""


class MotorGrids:
    """Collects the primary stream of multi-motor runs; records each at its stop."""

    def __init__(self, logger: str) -> None:
        self._logger = logger
        self._by_start: dict[str, _Grid] = {}

    def start(self, doc: Mapping[str, object], run: Run) -> None:
        """A run started: keep its points if its start document names enough motors."""
        motors = doc.get("motors")
        if isinstance(motors, Sequence) and not isinstance(motors, str):
            names = [m for m in motors if isinstance(m, str)]
            if len(names) >= MIN_MOTORS:
                self._by_start[str(doc["uid"])] = _Grid(run, names)

    def descriptor(self, doc: Mapping[str, object]) -> None:
        """The primary stream's data keys: the numeric ones become axes, motors first."""
        grid = self._by_start.get(str(doc.get("run_start")))
        if grid is None or doc.get("name") != STREAM or grid.descriptor:
            return
        data_keys = doc.get("data_keys")
        assert isinstance(data_keys, Mapping)
        numeric = [k for k, v in data_keys.items() if v.get("dtype") in ("number", "integer")]
        ordered = [m for m in grid.motors if m in numeric]
        ordered += [k for k in numeric if k not in ordered]
        grid.motors = [m for m in grid.motors if m in numeric]
        grid.units = {k: str(data_keys[k].get("units") or "") for k in ordered}
        grid.values = {k: [] for k in ordered}
        grid.descriptor = str(doc["uid"])

    def event(self, doc: Mapping[str, object]) -> None:
        """One point of a stream: kept if it is the primary stream of a grid."""
        data = doc.get("data")
        if isinstance(data, Mapping):
            self._add(str(doc.get("descriptor")), [data])

    def event_page(self, doc: Mapping[str, object]) -> None:
        """Many points of a stream, column-wise."""
        data = doc.get("data")
        if not isinstance(data, Mapping) or not data:
            return
        count = len(next(iter(data.values())))
        self._add(
            str(doc.get("descriptor")), [{k: v[i] for k, v in data.items()} for i in range(count)]
        )

    def stop(self, doc: Mapping[str, object]) -> None:
        """The run stopped: record its grid as one dimensioned measurement (before it ends)."""
        grid = self._by_start.pop(str(doc.get("run_start")), None)
        if grid is None or not grid.values or not grid.run.active:
            return
        if grid.broken:
            self._log(grid, grid.broken)
            return
        columns: dict[str, AxisColumn] = {k: (v, grid.units[k]) for k, v in grid.values.items()}
        try:
            grid.run.measure_table(STREAM, columns, dimensions=len(grid.motors), step=STREAM)
        except InvalidMeasurement as e:
            self._log(grid, str(e))

    def _add(self, descriptor: str, rows: list[Mapping[str, object]]) -> None:
        grid = next((g for g in self._by_start.values() if g.descriptor == descriptor), None)
        if grid is None or grid.broken:
            return
        for row in rows:
            for key, column in grid.values.items():
                value = row.get(key)
                if isinstance(value, bool) or not isinstance(value, numbers.Real):
                    grid.broken = f"data key {key!r} has a point {value!r} that is not a number"
                    return
                number = float(value)
                if not math.isfinite(number):
                    grid.broken = f"data key {key!r} has a point {number!r} that is not finite"
                    return
                column.append(number)

    def _log(self, grid: _Grid, problem: str) -> None:
        grid.run.station.emit(
            Log,
            level="warning",
            message=f"the {STREAM} stream of the scan over {grid.motors} was not recorded as a "
            f"dimensioned measurement: {problem}",
            logger=self._logger,
            run_id=grid.run.run_id,
        )

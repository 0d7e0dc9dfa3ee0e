"""Consecutive ``run.measure()`` points of a session, kept as rows until a frame is cut.

``run.measure()`` appends one tuple (:data:`Point`) and its time here instead of building a
``measurement`` event; when the frame is cut, or another event of the session comes
between, the points become one ``measurement.series`` event
(:class:`~benchtrail.schemas.MeasurementSeries`): each column is one C-level
transposition, and a column whose points all hold the same value is sent once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final, TypeVar

from benchtrail.schemas import (
    MeasurementOutcome,
    MeasurementSeries,
    ValueKind,
    new_series_id,
)

Point = tuple[
    float, str, ValueKind, str, str, str, float | None, float | None, MeasurementOutcome, str
]
"""One point: number, text, kind, run_id, name, unit, low, high, outcome, step."""

POINT_BYTES: Final = 48
"""Estimated encoded size of a point beside its text and names (for cutting frames)."""
T = TypeVar("T")


class SeriesColumns:
    """The points of one open series (``seq`` consecutive from ``first_seq``).

    Args:
        first_seq: the ``seq`` of the first point.
    """

    __slots__ = ("event_id", "first_seq", "points", "times")

    def __init__(self, first_seq: int) -> None:
        self.first_seq = first_seq
        self.event_id = new_series_id()
        self.times: list[int] = []
        """Each point's ``occurred_at``."""
        self.points: list[Point] = []

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the last point."""
        return self.first_seq + len(self.points) - 1

    def event(self, station_id: str, session_id: str) -> MeasurementSeries:
        """The ``measurement.series`` event carrying every point (at least one)."""
        numbers, texts, kinds, run_ids, names, units, lows, highs, outcomes, steps = zip(
            *self.points, strict=True
        )
        kind_column = _column(kinds)
        return MeasurementSeries(
            event_id=self.event_id,
            session_id=session_id,
            station_id=station_id,
            seq=self.first_seq,
            occurred_at=self.times[0],
            occurred_at_ns=self.times,
            values=list(numbers),
            kinds=kind_column,
            texts=list(texts) if "str" in kind_column else [],
            run_ids=_column(run_ids),
            names=_column(names),
            units=_column(units),
            lows=_limits(lows),
            highs=_limits(highs),
            outcomes=_column(outcomes),
            steps=_column(steps),
        )


def _column(values: Sequence[T]) -> list[T]:
    """``[value]`` when every point holds the same value, else one value per point."""
    first = values[0]
    return [first] if values.count(first) == len(values) else list(values)


def _limits(values: Sequence[float | None]) -> list[float | None]:
    """Like :func:`_column`, keeping ``-0.0`` apart from ``0.0`` (they compare equal)."""
    column = _column(values)
    first = column[0]
    if len(column) == 1 and first == 0.0 and len(values) > 1:
        signs = {math.copysign(1.0, value) for value in values if value is not None}
        if len(signs) > 1:
            return list(values)
    return column

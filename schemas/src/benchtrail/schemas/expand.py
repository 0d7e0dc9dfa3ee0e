"""Turning a ``measurement.series`` back into the ``measurement`` events it carries."""

from __future__ import annotations

from collections.abc import Sequence

from benchtrail.schemas.events import EventUnion, Measurement
from benchtrail.schemas.measurement_series import (
    SERIES_COLUMNS,
    MeasurementSeries,
    series_event_ids,
)
from benchtrail.schemas.values import MeasurementValue


def _point_value(kind: str, number: float, text: str) -> MeasurementValue:
    if kind == "float":
        return number
    if kind == "int":
        return int(number)
    if kind == "bool":
        return bool(number)
    return text


def expand_series(series: MeasurementSeries) -> list[Measurement]:
    """The ``measurement`` events a series carries, in ``seq`` order.

    Raises:
        ValueError: the series' event id has no room for its points (the projector
            refuses such a series).
    """
    count = series.point_count

    def column(values: Sequence[object]) -> Sequence[object]:
        return values if len(values) == count else [values[0]] * count

    texts = series.texts or [""] * count
    rows = zip(
        series_event_ids(series.event_id, count),
        series.occurred_at_ns,
        series.values,
        texts,
        *(column(getattr(series, name)) for name in SERIES_COLUMNS),
        strict=True,
    )
    return [
        Measurement(
            event_id=event_id,
            session_id=series.session_id,
            station_id=series.station_id,
            seq=series.seq + i,
            occurred_at=at,
            schema_version=series.schema_version,
            run_id=run_id,
            name=name,
            value=_point_value(kind, number, text),
            unit=unit,
            low=low,
            high=high,
            outcome=outcome,
            step=step,
        )
        for i, (
            event_id,
            at,
            number,
            text,
            kind,
            run_id,
            name,
            unit,
            low,
            high,
            outcome,
            step,
        ) in enumerate(rows)
    ]


def expand_events(events: Sequence[EventUnion]) -> list[EventUnion]:
    """``events`` with every ``measurement.series`` replaced by its ``measurement`` events."""
    if not any(type(event) is MeasurementSeries for event in events):
        return list(events)
    expanded: list[EventUnion] = []
    for event in events:
        if isinstance(event, MeasurementSeries):
            expanded.extend(expand_series(event))
        else:
            expanded.append(event)
    return expanded

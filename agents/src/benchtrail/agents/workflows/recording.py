"""What a measurement session does with the station: open it, record columns, safe state."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable

from benchtrail.agents.config_files import find_config_files
from benchtrail.agents.context import hostname
from benchtrail.agents.errors import InstrumentError, LeaseLost, SessionNotActive
from benchtrail.agents.station import Station, connect
from benchtrail.agents.workflows.bench import Bench
from benchtrail.agents.workflows.points import Column
from benchtrail.schemas import EXPERIMENT_STEP, CustomValue, MeasurementBatch


def open_station(
    station: str | Station | None,
    bench: Bench | None,
    *,
    hub: str | None,
    operator: str,
    mock: bool,
) -> tuple[Station, bool]:
    """The station session to record into, and whether this session owns (and stops) it.

    A :class:`Station` given is used as it is. Otherwise the station is the one named,
    the bench's, or the configured one; with no station anywhere (no argument, no
    ``BENCHTRAIL_STATION``, no configuration file defining one) it is this machine's
    host name, so a notebook records without any setup.
    """
    if isinstance(station, Station):
        if station.state != "running":
            raise SessionNotActive(station.station_id, station.state)
        return station, False
    if bench is not None:
        opened = connect(
            station or bench.station.id,
            hub,
            operator,
            mock=mock or bench.simulate,
            config=bench.station,
            session_type="sweep",
        )
    else:
        opened = connect(
            station or _default_station_id(), hub, operator, mock=mock, session_type="sweep"
        )
    return opened.start(), True


def _default_station_id() -> str | None:
    """This machine's name as a station id, when nothing names a station; else None."""
    if os.environ.get("BENCHTRAIL_STATION"):
        return None
    if any(f.station_ids for f in find_config_files().files):
        return None
    return re.sub(r"[^A-Za-z0-9_-]", "-", hostname())[:128] or "station"


def record_column(
    station: Station,
    run_id: str,
    column: Column,
    values: list[CustomValue | None],
    stamps: list[int],
) -> int:
    """Record a chunk of a column as one ``measurement.batch``; return how many points.

    Points where the column has no value (None) are left out of the batch.
    """
    if None in values:
        kept = [(v, t) for v, t in zip(values, stamps, strict=True) if v is not None]
        values, stamps = [v for v, _ in kept], [t for _, t in kept]
    if not values:
        return 0
    kind = column.kind or "float"
    if kind == "str":
        texts = [str(v) for v in values]
        station.emit(
            MeasurementBatch,
            size_hint=300 + 10 * len(texts) + sum(map(len, texts)),
            run_id=run_id,
            name=column.name,
            values=[],
            texts=texts,
            timestamps_ns=stamps,
            unit=column.unit,
            step=EXPERIMENT_STEP,
            kind="str",
        )
        return len(texts)
    station.emit(
        MeasurementBatch,
        size_hint=300 + 20 * len(values),
        run_id=run_id,
        name=column.name,
        values=[float(v) for v in values] if kind == "bool" else values,  # type: ignore[arg-type]
        timestamps_ns=stamps,
        unit=column.unit,
        step=EXPERIMENT_STEP,
        kind=kind,
    )
    return len(values)


def safe_state(instruments: Iterable[object]) -> None:
    """Put every instrument that has one in its safe state (outputs off); never raises."""
    for instrument in instruments:
        method = getattr(instrument, "safe_state", None)
        if callable(method):
            with contextlib.suppress(InstrumentError, OSError, LeaseLost):
                method()

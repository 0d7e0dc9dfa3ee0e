"""How an experiment (a sweep or timed acquisition) is laid out in events.

An experiment is one run. Its points travel as ``measurement.batch`` events, one
batch per column per chunk of points, all recorded with ``step`` =
:data:`EXPERIMENT_STEP`; every column of a point carries the point's timestamp,
which is unique and increasing within the run. The experiment's table is those
batches pivoted by timestamp: a ``timestamp`` column, then the parameters in the
order of ``RunStarted.parameters``, then the results in the order first recorded.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from benchtrail.schemas.metadata import CustomValue, ParameterInfo
from benchtrail.schemas.values import MeasurementValue, ValueKind

EXPERIMENT_STEP = "experiment"
"""The ``step`` of every point recorded by an experiment."""

TIMESTAMP_COLUMN = "timestamp"
"""The experiment table's column holding each point's time (ns, UTC)."""

METADATA_KEY = b"benchtrail.experiment"
"""Key of the experiment's metadata (JSON) in an Arrow schema: a saved Parquet or
Arrow file, or the Arrow stream the API serves for an experiment."""


class ExperimentInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What identifies an experiment and how it went.

    Attributes:
        name: the measurement session's name.
        station_id: the station it ran on.
        session_id: the benchtrail session it was recorded in.
        run_id: its run: the key to read it back (``EventStore.experiment(run_id)``).
        parameters: the swept parameters with their units and values.
        metadata: the run's custom metadata.
        units: result column → unit, where known.
        started_at_ns: when the run started (ns since the epoch, UTC).
        ended_at_ns: when it ended, or 0 while it runs.
        outcome: the run's outcome, or "" while it runs.
        points: how many points it holds.
    """

    name: str
    station_id: str
    session_id: str
    run_id: str
    parameters: list[ParameterInfo] = msgspec.field(default_factory=list)
    metadata: dict[str, CustomValue] = msgspec.field(default_factory=dict)
    units: dict[str, str] = msgspec.field(default_factory=dict)
    started_at_ns: int = 0
    ended_at_ns: int = 0
    outcome: str = ""
    points: int = 0


class ExperimentMetadata(msgspec.Struct, frozen=True, kw_only=True):
    """What travels with an experiment's table (in a saved file, or from the API).

    It is kept as JSON under :data:`METADATA_KEY` in the table's Arrow schema.
    """

    experiment: ExperimentInfo
    records: dict[str, list[MeasurementValue]] = msgspec.field(default_factory=dict)


def merge_kinds(kinds: Iterable[ValueKind]) -> ValueKind:
    """The kind of a column whose points have ``kinds``: the narrowest that holds them all.

    ``bool`` stays ``bool`` only when every point is; ``int`` and ``float`` give
    ``float``; anything mixed with ``str`` (or ``bool`` with numbers) is ``str``.
    """
    seen = set(kinds)
    if not seen:
        return "float"
    if len(seen) == 1:
        return next(iter(seen))
    if seen <= {"int", "float"}:
        return "float"
    return "str"

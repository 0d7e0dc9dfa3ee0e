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

from benchtrail.schemas.events import ValueKind

EXPERIMENT_STEP = "experiment"
"""The ``step`` of every point recorded by an experiment."""

TIMESTAMP_COLUMN = "timestamp"
"""The experiment table's column holding each point's time (ns, UTC)."""


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

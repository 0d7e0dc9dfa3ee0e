"""``measurement.series``: a run of consecutive single measurements of one session, in columns.

A station records each ``run.measure()`` as one ``measurement`` event. Consecutive ones
travel together as one ``measurement.series`` whose columns hold the points: point ``i``
*is* the ``measurement`` event with ``seq = series.seq + i``, ``occurred_at =
occurred_at_ns[i]`` and the event id :func:`series_event_ids` gives it (the series'
``event_id`` with ``i`` added to its random bits: RFC 9562's monotonic random method), so
the warehouse's rows, its dedup key and a replay are what the single events gave.
Readers that show events turn a series back into its ``measurement`` events with
:func:`benchtrail.schemas.expand_events`.

A column of one value holds it for every point; otherwise it has one value per point.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Final

import msgspec
import uuid_utils

from benchtrail.schemas.base import Event, Finite, TimestampNs
from benchtrail.schemas.limits import MAX_TEXT_VALUE
from benchtrail.schemas.values import Limit, MeasurementOutcome, Name, ValueKind

MAX_SERIES_POINTS: Final = 100_000
"""Most points of one series (a station cuts frames far below it)."""
_COUNTER_BITS: Final = 62
_COUNTER_MASK: Final = (1 << _COUNTER_BITS) - 1
_HEADROOM_BIT: Final = 1 << (_COUNTER_BITS - 1)
"""Cleared in a series' first id, so counting its points up never reaches the variant bits."""

Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT_VALUE)]


def _column(description: str) -> msgspec.Meta:
    return msgspec.Meta(description=f"{description}: one value for every point, or one per point.")


class MeasurementSeries(Event, frozen=True, kw_only=True, tag="measurement.series"):
    """Consecutive ``measurement`` events of one session, carried as columns.

    Point ``i`` is the ``measurement`` with ``seq`` = this ``seq`` + i, ``event_id`` =
    this ``event_id`` + i (counted in the UUIDv7's 62 random low bits) and
    ``occurred_at`` = ``occurred_at_ns[i]``; ``occurred_at`` is the first point's.
    ``values`` holds every number (``int`` and ``bool`` as exact floats, 0 for text);
    ``texts`` holds the text of ``str`` points, aligned with the points, or is empty
    when no point is text.
    """

    occurred_at_ns: Annotated[
        list[TimestampNs], msgspec.Meta(description="Each point's occurred_at (ns, UTC).")
    ]
    values: Annotated[list[Finite], msgspec.Meta(description="Each point's number.")]
    kinds: Annotated[list[ValueKind], _column("What the values are")] = msgspec.field(
        default_factory=lambda: ["float"]
    )
    texts: Annotated[
        list[Text], msgspec.Meta(description="Each point's text ('' for numbers), or empty.")
    ] = msgspec.field(default_factory=list)
    run_ids: Annotated[list[str], _column("The run of the points")] = msgspec.field(
        default_factory=lambda: [""]
    )
    names: Annotated[list[Name], _column("The measurement names")]
    units: Annotated[list[str], _column("The units")] = msgspec.field(default_factory=lambda: [""])
    lows: Annotated[list[Limit | None], _column("The low limits")] = msgspec.field(
        default_factory=lambda: [None]
    )
    highs: Annotated[list[Limit | None], _column("The high limits")] = msgspec.field(
        default_factory=lambda: [None]
    )
    outcomes: Annotated[list[MeasurementOutcome], _column("The verdicts")] = msgspec.field(
        default_factory=lambda: ["unset"]
    )
    steps: Annotated[list[str], _column("The steps")] = msgspec.field(default_factory=lambda: [""])

    @property
    def point_count(self) -> int:
        """How many ``measurement`` events the series carries."""
        return len(self.occurred_at_ns)


SERIES_COLUMNS: Final = ("kinds", "run_ids", "names", "units", "lows", "highs", "outcomes", "steps")
"""The columns that hold one value for every point, or one per point."""


def new_series_id() -> str:
    """A UUIDv7 for a series' first point, with room to count up its points' ids."""
    return str(uuid.UUID(int=uuid_utils.uuid7().int & ~_HEADROOM_BIT))


def series_id_parts(first: str, count: int) -> tuple[int, int] | None:
    """The first id's high and low 64 bits, or ``None`` if ``count`` ids cannot follow it.

    ``None`` when ``first`` is not a UUIDv7 in canonical text form, or counting up
    ``count`` ids from it would carry out of its 62 random low bits.
    """
    try:
        number = uuid.UUID(first).int
    except ValueError:
        return None
    if str(uuid.UUID(int=number)) != first or (number >> 76) & 0xF != 7:
        return None
    if (number & _COUNTER_MASK) + count - 1 > _COUNTER_MASK:
        return None
    return number >> 64, number & 0xFFFF_FFFF_FFFF_FFFF


def series_event_ids(first: str, count: int) -> list[str]:
    """The event ids of a series' ``count`` points, the first being ``first``.

    Raises:
        ValueError: ``first`` is not a UUIDv7 with room for ``count`` ids.
    """
    if series_id_parts(first, count) is None:
        raise ValueError(f"{first!r} is not a UUIDv7 with room for {count} ids")
    number = uuid.UUID(first).int
    return [str(uuid.UUID(int=number + i)) for i in range(count)]

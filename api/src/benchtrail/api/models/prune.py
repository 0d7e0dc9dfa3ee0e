"""What ``benchtrail data prune`` removes, and the ages it accepts: shared by server and client.

An age is whole hours, days or weeks: ``12h``, ``90d``, ``2w``. A prune removes
whole UTC days: everything recorded before midnight (UTC) of the day the cut
(now minus the age) falls in, so data stays up to one day longer than asked.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Literal

import msgspec

from benchtrail.api.errors import BadParameter

AGE_EXPECTED = "a duration such as 90d, 12h or 2w (whole hours, days or weeks, at least 1)"
"""How error messages describe an age."""

MAX_AGE = timedelta(days=100 * 366)
"""Longest age accepted (a century): anything longer would keep everything anyway."""

_AGE = re.compile(r"\s*(\d{1,6})\s*([hdw])\s*")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}

PolicySource = Literal["argument", "configured", "none"]
"""Where the age of a prune came from: the request, the hub's configuration, or nowhere
(``none``: the default policy keeps everything, and nothing was removed)."""

TableMethod = Literal["partitions", "delete", "kept"]
"""How a table's old rows go: whole day partitions dropped; a ``DELETE`` (a table
created without day partitions by an older version); or ``kept`` (no time column known)."""


def parse_age(text: str, name: str = "older_than") -> timedelta:
    """``90d`` → 90 days; ``12h``, ``2w`` likewise.

    Raises:
        BadParameter: not a whole number of hours, days or weeks, zero, or over a century.
    """
    match = _AGE.fullmatch(text)
    if match is None:
        raise BadParameter(name, text, AGE_EXPECTED)
    age = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if not timedelta(0) < age <= MAX_AGE:
        raise BadParameter(name, text, AGE_EXPECTED)
    return age


def day_boundary(now: datetime, age: timedelta) -> datetime:
    """Midnight (UTC) of the day ``now - age`` falls in: what is older than this goes."""
    cut = now.astimezone(UTC) - age
    return datetime(cut.year, cut.month, cut.day, tzinfo=UTC)


class TablePrune(msgspec.Struct, frozen=True, kw_only=True):
    """One warehouse table in a prune.

    Attributes:
        table: the table's name.
        time_column: the column the cut applies to (each table by its own time).
        method: ``partitions``, ``delete`` or ``kept`` (see :data:`TableMethod`).
        days: the whole UTC days (``YYYY-MM-DD``) removed, or that a dry run would remove.
        rows: rows removed, or that would be (as stored: a row a replay wrote twice
            and no merge collapsed yet counts twice).
        note: why the method was chosen, when it is not ``partitions``.
    """

    table: str
    time_column: str
    method: TableMethod
    days: list[str] = msgspec.field(default_factory=list)
    rows: int = 0
    note: str = ""


class StreamTrim(msgspec.Struct, frozen=True, kw_only=True):
    """The ``BT_EVENTS`` stream in a prune: its frames older than the cut, purged.

    Only a prefix of the stream is purged: frames up to the first one holding an
    event of the kept days, and never one the projector has not written yet.

    Attributes:
        stream: the stream's name.
        first_seq: its first sequence before the prune.
        kept_from: the first sequence kept (after a real prune, the stream's first).
        messages: frames purged, or that a dry run would purge.
        ingested_through: every frame up to this sequence is in the warehouse
            (the projector's ack floor); nothing after it is purged.
        note: why fewer frames go than one might expect, if that is so.
    """

    stream: str
    first_seq: int
    kept_from: int
    messages: int
    ingested_through: int
    note: str = ""


class PruneReport(msgspec.Struct, frozen=True, kw_only=True):
    """Body of ``POST /api/data/prune``: what went (or, in a dry run, would go).

    Attributes:
        dry_run: nothing was changed; the report says what a prune would remove.
        policy: where the age came from (:data:`PolicySource`).
        older_than: the age (``90d``), ``None`` when the policy keeps everything.
        cut: now minus the age.
        removed_before: midnight UTC of the cut's day: everything earlier goes.
        removed_before_ns: the same in nanoseconds since the epoch.
        tables: one entry per warehouse table.
        stream: the stream's trim; ``None`` when nothing was pruned.
        rows: rows removed from all tables together.
        message: one line saying what happened.
        attachments: objects removed from the attachment store (every row naming them went).
    """

    dry_run: bool
    policy: PolicySource
    older_than: str | None = None
    cut: datetime | None = None
    removed_before: datetime | None = None
    removed_before_ns: int | None = None
    tables: list[TablePrune] = msgspec.field(default_factory=list)
    stream: StreamTrim | None = None
    rows: int = 0
    message: str = ""
    attachments: int = 0

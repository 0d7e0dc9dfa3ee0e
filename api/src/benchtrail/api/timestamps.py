"""Times as the warehouse stores them: integer nanoseconds since the epoch, UTC.

Shared by every room of the API (client, HTTP app, hub, CLI); it imports only
the standard library.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

MAX_NS = 2**63 - 1
"""Largest time the warehouse can compare against (Int64 nanoseconds, year 2262)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ns_to_datetime(ns: int) -> datetime:
    """UTC datetime of nanoseconds since the epoch (truncated to microseconds)."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def datetime_to_ns(moment: datetime) -> int:
    """Nanoseconds since the epoch of a datetime; a naive one is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000

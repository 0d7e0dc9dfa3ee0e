"""Parsing of query parameters the API cannot leave to its framework: times, cursors, choices.

Every parser raises :class:`~benchtrail.api.errors.BadParameter` naming the
parameter, so a bad value is a 400 that says what was expected, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

import msgspec

from benchtrail.api.errors import BadParameter

MAX_NS = 2**63 - 1
"""Largest time the warehouse can compare against (Int64 nanoseconds, year 2262)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INTEGER = re.compile(r"[+-]?\d+")
_FRACTION = re.compile(r"[.,](\d+)")
_TIME_EXPECTED = "an ISO-8601 time (naive = UTC) or integer nanoseconds since the epoch"
_CURSOR_EXPECTED = "a next_cursor value returned by this endpoint"

Ns = Annotated[int, msgspec.Meta(ge=0, le=MAX_NS)]


class Cursor(msgspec.Struct, frozen=True, array_like=True):
    """Position after the last row of a page: its kind, start time and id."""

    kind: str
    time_ns: Ns
    key: str


class PointCursor(msgspec.Struct, frozen=True, array_like=True):
    """Position after the last measurement of a page, in the table's sort key order."""

    kind: str
    station_id: str
    name: str
    ts_ns: int
    event_id: str
    point_index: Annotated[int, msgspec.Meta(ge=0, lt=2**32)]


_CursorT = TypeVar("_CursorT", Cursor, PointCursor)
_cursor_decoder = msgspec.json.Decoder(Cursor)
_point_cursor_decoder = msgspec.json.Decoder(PointCursor)


def ns_to_datetime(ns: int) -> datetime:
    """UTC datetime of nanoseconds since the epoch (truncated to microseconds)."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def datetime_to_ns(moment: datetime) -> int:
    """Nanoseconds since the epoch of a datetime; a naive one is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


def parse_time(name: str, text: str) -> int:
    """Parse ``since``/``until``: ISO-8601 (naive = UTC) or integer nanoseconds.

    ISO fractions keep up to nine digits. The result is clamped to the range
    the warehouse stores (1970 to 2262), which does not change what matches.

    Raises:
        BadParameter: ``text`` is neither form.
    """
    value = text.strip()
    if _INTEGER.fullmatch(value):
        return _clamp(int(value))
    fraction_ns = 0
    match = _FRACTION.search(value)
    if match is not None:
        fraction_ns = int(match.group(1)[:9].ljust(9, "0"))
        value = value[: match.start()] + value[match.end() :]
    try:
        ns = datetime_to_ns(datetime.fromisoformat(value))
    except (ValueError, OverflowError) as e:
        raise BadParameter(name, text, _TIME_EXPECTED) from e
    return _clamp(ns + fraction_ns)


def _clamp(ns: int) -> int:
    return min(max(ns, 0), MAX_NS)


def encode_cursor(kind: str, time_ns: int, key: str) -> str:
    """Opaque cursor: urlsafe base64 (unpadded) of ``[kind, time_ns, key]``."""
    return _encode(Cursor(kind, time_ns, key))


def decode_cursor(kind: str, text: str) -> Cursor:
    """Decode a cursor of ``kind`` made by :func:`encode_cursor`.

    Raises:
        BadParameter: the text is not such a cursor, or one of another endpoint.
    """
    return _decode(kind, text, _cursor_decoder)


def encode_point_cursor(cursor: PointCursor) -> str:
    """Opaque cursor of a measurement page: urlsafe base64 (unpadded) of its sort key."""
    return _encode(cursor)


def decode_point_cursor(kind: str, text: str) -> PointCursor:
    """Decode a cursor of ``kind`` made by :func:`encode_point_cursor`.

    Raises:
        BadParameter: the text is not such a cursor, or one of another endpoint.
    """
    return _decode(kind, text, _point_cursor_decoder)


def _encode(cursor: Cursor | PointCursor) -> str:
    raw = msgspec.json.encode(cursor)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(kind: str, text: str, decoder: msgspec.json.Decoder[_CursorT]) -> _CursorT:
    try:
        padded = text + "=" * (-len(text) % 4)
        cursor = decoder.decode(base64.b64decode(padded, altchars=b"-_", validate=True))
    except (binascii.Error, ValueError, msgspec.DecodeError) as e:
        raise BadParameter("cursor", text, _CURSOR_EXPECTED) from e
    if cursor.kind != kind:
        raise BadParameter("cursor", text, _CURSOR_EXPECTED)
    return cursor


def check_choice(name: str, value: str | None, choices: Collection[str]) -> str | None:
    """Return ``value`` if it is one of ``choices`` (or None).

    Raises:
        BadParameter: naming every allowed value.
    """
    if value is None or value in choices:
        return value
    raise BadParameter(name, value, "one of " + ", ".join(sorted(choices)))

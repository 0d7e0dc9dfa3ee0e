"""Page cursors: the opaque ``next_cursor`` a list query returns and the next request sends.

A cursor is the position after the last row of a page in the query's sort order,
encoded as urlsafe base64 (unpadded) of a small JSON array. Decoding raises
:class:`~benchtrail.api.errors.BadParameter` naming ``cursor``, so a bad or foreign
cursor is a 400, never a 500.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, TypeVar

import msgspec

from benchtrail.api.errors import BadParameter
from benchtrail.api.timestamps import MAX_NS

_CURSOR_EXPECTED = "a next_cursor value returned by this endpoint"

MAX_CURSOR_LENGTH = 4096
"""Longest cursor text accepted (one this API makes is a few hundred characters)."""

_Ns = Annotated[int, msgspec.Meta(ge=0, le=MAX_NS)]
_Text = Annotated[str, msgspec.Meta(max_length=1024)]


class Cursor(msgspec.Struct, frozen=True, array_like=True):
    """Position after the last row of a page: its kind, start time and id."""

    kind: _Text
    time_ns: _Ns
    key: _Text


class PointCursor(msgspec.Struct, frozen=True, array_like=True):
    """Position after the last measurement of a page, in the table's sort key order."""

    kind: _Text
    station_id: _Text
    name: _Text
    ts_ns: _Ns
    event_id: _Text
    point_index: Annotated[int, msgspec.Meta(ge=0, lt=2**32)]


_CursorT = TypeVar("_CursorT", Cursor, PointCursor)
_cursor_decoder = msgspec.json.Decoder(Cursor)
_point_cursor_decoder = msgspec.json.Decoder(PointCursor)


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
    if len(text) > MAX_CURSOR_LENGTH:
        raise BadParameter("cursor", text, _CURSOR_EXPECTED)
    try:
        padded = text + "=" * (-len(text) % 4)
        cursor = decoder.decode(base64.b64decode(padded, altchars=b"-_", validate=True))
    except (binascii.Error, ValueError, msgspec.DecodeError) as e:
        raise BadParameter("cursor", text, _CURSOR_EXPECTED) from e
    if cursor.kind != kind:
        raise BadParameter("cursor", text, _CURSOR_EXPECTED)
    return cursor

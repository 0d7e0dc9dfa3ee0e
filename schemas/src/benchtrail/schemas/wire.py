"""The wire format: MessagePack frames of events, and JSON for HTTP and exports.

A frame is a msgpack array of one session's events in ``seq`` order. The
encoders and decoders are built once, here, and reused everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from benchtrail.schemas.base import Event
from benchtrail.schemas.errors import FrameDecodeError
from benchtrail.schemas.events import EventUnion

_msgpack_encoder = msgspec.msgpack.Encoder()
_frame_decoder: msgspec.msgpack.Decoder[list[EventUnion]] = msgspec.msgpack.Decoder(
    list[EventUnion]
)
_event_decoder: msgspec.msgpack.Decoder[EventUnion] = msgspec.msgpack.Decoder(EventUnion)
_json_encoder = msgspec.json.Encoder()
_json_decoder: msgspec.json.Decoder[EventUnion] = msgspec.json.Decoder(EventUnion)


def encode_frame(events: Sequence[Event]) -> bytes:
    """Encode events (one session's, in ``seq`` order) as one msgpack frame."""
    return _msgpack_encoder.encode(events)


def decode_frame(data: bytes) -> list[EventUnion]:
    """Decode a frame; raises :class:`FrameDecodeError` naming what was wrong."""
    try:
        return _frame_decoder.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as e:  # bad UTF-8 raises the latter
        raise FrameDecodeError(str(e), len(data)) from e


def encode_event(event: Event) -> bytes:
    """Encode one event as msgpack."""
    return _msgpack_encoder.encode(event)


def decode_event(data: bytes) -> EventUnion:
    """Decode one msgpack-encoded event."""
    try:
        return _event_decoder.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as e:  # bad UTF-8 raises the latter
        raise FrameDecodeError(str(e), len(data)) from e


def to_json(event: Event) -> bytes:
    """Encode one event as JSON (the same Struct, the same field names)."""
    return _json_encoder.encode(event)


def from_json(data: bytes | str) -> EventUnion:
    """Decode one JSON-encoded event."""
    return _json_decoder.decode(data)

"""The event envelope shared by every event type, and its id and clock helpers."""

from __future__ import annotations

import sys
import time
from typing import Annotated

import msgspec
import uuid_utils

SCHEMA_VERSION = 1
"""Version of the event schema written by this package."""

EventId = Annotated[
    str, msgspec.Meta(description="UUIDv7 in canonical text form; the warehouse's dedup key.")
]
SessionId = Annotated[str, msgspec.Meta(description="UUIDv7 of the session, canonical text form.")]
StationId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=128,
        description=(
            "Stable station identifier, a NATS subject token: letters, digits, '-' and '_'."
        ),
    ),
]
# The token rule is enforced where it is cheap: by the agent when a station is named, and
# by the projector once per frame (every event's station_id must equal the subject's
# token). A per-event regex doubled the cost of decoding a frame of measurements.
TimestampNs = Annotated[
    int, msgspec.Meta(ge=0, description="Nanoseconds since the Unix epoch, UTC.")
]


Finite = Annotated[
    float,
    msgspec.Meta(ge=-sys.float_info.max, le=sys.float_info.max, description="A finite number."),
]
"""A float that is neither NaN nor infinite (JSON cannot carry those)."""


def new_id() -> str:
    """Return a new UUIDv7 as text: time-ordered, unique without coordination."""
    return str(uuid_utils.uuid7())


def now_ns() -> int:
    """Return the wall-clock time in nanoseconds since the Unix epoch (UTC)."""
    return time.time_ns()


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Envelope carried by every benchtrail event."""

    event_id: EventId
    session_id: SessionId
    station_id: StationId
    seq: Annotated[
        int, msgspec.Meta(ge=1, description="Per-session sequence number: gap-free, from 1.")
    ]
    occurred_at: TimestampNs
    schema_version: int = SCHEMA_VERSION

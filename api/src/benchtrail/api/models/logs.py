"""A run's log lines as the API returns them."""

from __future__ import annotations

from datetime import datetime

import msgspec


class LogLine(msgspec.Struct, frozen=True, kw_only=True):
    """One ``log`` event of a run: a line the station or the test logged.

    ``at`` is when it was logged (the test tool's own time when it gave one);
    ``seq`` the order it was recorded in within its session.
    """

    at: datetime
    at_ns: int
    seq: int
    level: str
    logger: str
    message: str
    source: str
    session_id: str
    event_id: str

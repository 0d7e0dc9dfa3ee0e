"""Limits an event must keep: checked by the agent at the call, and by the projector again.

The agent refuses a bad value when it is recorded (``benchtrail.agents.validation``);
the projector refuses the same things in an event a station built by hand
(``benchtrail.projector.validation``) and dead-letters it. Both read the numbers
and the small checks here, so the two sides cannot drift apart.
"""

from __future__ import annotations

from typing import Final

MAX_NAME: Final = 256
"""Longest name of a measurement, step or run (characters)."""
MAX_TEXT_VALUE: Final = 64 * 1024
"""Longest text value of a measurement (characters)."""
EARLIEST_NS: Final = 946_684_800_000_000_000
"""2000-01-01T00:00:00Z: no event is older."""
FUTURE_SLACK_NS: Final = 86_400_000_000_000
"""One day: how far ahead of the hub's clock an event's ``occurred_at`` may be."""


def is_blank(name: str) -> bool:
    """Whether a name is empty or only whitespace (no name at all)."""
    return not name or name.isspace()


def is_text_too_long(text: str) -> bool:
    """Whether a measurement's text value is longer than :data:`MAX_TEXT_VALUE`."""
    return len(text) > MAX_TEXT_VALUE


def are_limits_inverted(low: float | None, high: float | None) -> bool:
    """Whether both limits are given and the low one is above the high one."""
    return low is not None and high is not None and low > high

"""Parsing of query parameters the API cannot leave to its framework: times and choices.

Every parser raises :class:`~benchtrail.api.errors.BadParameter` naming the
parameter, so a bad value is a 400 that says what was expected, never a 500.
Cursors are parsed by :mod:`benchtrail.api.queries.cursors`, beside the queries
that make them.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime

from benchtrail.api.errors import BadParameter
from benchtrail.api.timestamps import MAX_NS, datetime_to_ns

_INTEGER = re.compile(r"[+-]?\d+")
_FRACTION = re.compile(r"[.,](\d+)")
_TIME_EXPECTED = "an ISO-8601 time (naive = UTC) or integer nanoseconds since the epoch"
MAX_TIME_LENGTH = 64
"""Longest time text accepted: an ISO-8601 time with nanoseconds and offset has 35."""


def parse_time(name: str, text: str) -> int:
    """Parse ``since``/``until``: ISO-8601 (naive = UTC) or integer nanoseconds.

    ISO fractions keep up to nine digits. The result is clamped to the range
    the warehouse stores (1970 to 2262), which does not change what matches.

    Raises:
        BadParameter: ``text`` is neither form, or longer than :data:`MAX_TIME_LENGTH`.
    """
    value = text.strip()
    if len(value) > MAX_TIME_LENGTH:  # int() of 5,000 digits raises ValueError
        raise BadParameter(name, text, _TIME_EXPECTED)
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


def check_choice(name: str, value: str | None, choices: Collection[str]) -> str | None:
    """Return ``value`` if it is one of ``choices`` (or None).

    Raises:
        BadParameter: naming every allowed value.
    """
    if value is None or value in choices:
        return value
    raise BadParameter(name, value, "one of " + ", ".join(sorted(choices)))

"""Bounded quoting of values in error messages and error bodies.

A value a caller sent may be megabytes long; an error that names it shows its
first :data:`MAX_QUOTED` characters and says how long it was, so an answer to a
bad request is never larger than the request's problem needs.
"""

from __future__ import annotations

MAX_QUOTED = 200
"""Characters of a value an error message or error body shows."""


def clip(text: str, limit: int = MAX_QUOTED) -> str:
    """``text`` if it has at most ``limit`` characters, else its start and its length.

    >>> clip("x" * 300, 3)
    'xxx… (300 characters)'
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


def quote(value: object, limit: int = MAX_QUOTED) -> str:
    """``repr(value)`` of a string clipped to ``limit`` characters (other values: their repr)."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value)} characters)"
    if isinstance(value, int) and value.bit_length() > 4 * limit:
        return f"an integer of {value.bit_length()} bits"  # its repr may not even be allowed
    return clip(repr(value), 4 * limit)

"""Checks made at the call, before anything is recorded."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Final, Literal

import msgspec

from benchtrail.agents.errors import InvalidMeasurement, InvalidMetadata
from benchtrail.schemas import (
    MAX_METADATA_DEPTH,
    MAX_NAME,
    MAX_STRUCTURED_METADATA,
    MAX_TEXT_VALUE,
    CustomValue,
    MeasurementOutcome,
    MeasurementValue,
    TimeWindow,
    ValueKind,
    are_limits_inverted,
    format_ns,
    is_blank,
    is_text_too_long,
    now_ns,
)

_NUMBER = (int, float)


def check_name(name: object) -> str:
    """A measurement name: non-empty text of at most :data:`MAX_NAME` characters."""
    if not isinstance(name, str) or is_blank(name):
        raise InvalidMeasurement(str(name), f"name must be non-empty text, got {name!r}")
    if len(name) > MAX_NAME:
        raise InvalidMeasurement(name[:40] + "…", f"name longer than {MAX_NAME} characters")
    return name


def check_limit(name: str, which: str, limit: object) -> float | None:
    """A limit: None, or a finite number."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, _NUMBER):
        raise InvalidMeasurement(name, f"{which} limit must be a number, got {limit!r}")
    value = float(limit)
    if not math.isfinite(value):
        raise InvalidMeasurement(name, f"{which} limit must be finite, got {limit!r}")
    return value


def check_limits(name: str, low: object, high: object) -> tuple[float | None, float | None]:
    """Both limits, finite and with ``low <= high``."""
    lo, hi = check_limit(name, "low", low), check_limit(name, "high", high)
    if are_limits_inverted(lo, hi):
        raise InvalidMeasurement(name, f"low limit {lo!r} is above high limit {hi!r}")
    return lo, hi


def check_value(name: str, value: object) -> MeasurementValue:
    """A measured value: a number, a flag or (short) text."""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return _finite(name, value)
    if isinstance(value, str):
        if is_text_too_long(value):
            raise InvalidMeasurement(name, f"text value longer than {MAX_TEXT_VALUE} characters")
        return value
    try:
        number = float(value)  # type: ignore[arg-type]  # numpy scalars and the like
    except (TypeError, ValueError):
        raise InvalidMeasurement(
            name, f"value must be a number, bool or str, got {type(value).__name__} {value!r}"
        ) from None
    return _finite(name, number)


def _finite(name: str, value: float) -> float:
    if not math.isfinite(value):
        raise InvalidMeasurement(
            name,
            f"value must be finite, got {value!r}; record an overrange or a missing reading "
            "as text (e.g. 'OVERRANGE') or leave the point out",
        )
    return value


def check_timestamps(name: str, stamps: Sequence[int], window: TimeWindow) -> None:
    """Every point's timestamp inside the station's time window (the hub checks it too)."""
    now = now_ns()
    outside = window.first_outside(stamps, now)
    if outside is not None:
        index, stamp = outside
        raise InvalidMeasurement(
            name,
            f"timestamp {stamp} ns ({format_ns(stamp)}) at index {index} is outside the "
            f"time window {window.describe(now)}",
        )


def outcome_of(
    value: MeasurementValue, low: float | None, high: float | None
) -> MeasurementOutcome:
    """Verdict of a value against its limits: ``unset`` when there are none."""
    if low is None and high is None:
        return "unset"
    if isinstance(value, str):
        return "failed"
    number = float(value)
    if math.isnan(number):
        return "failed"
    if (low is not None and number < low) or (high is not None and number > high):
        return "failed"
    return "passed"


_EXACT_INT: Final = 2**53
"""Whole numbers up to this magnitude are exact as floats (how a series carries them)."""
PointCheck = tuple[float, str, ValueKind, float | None, float | None, MeasurementOutcome]
"""A checked point: number, text, kind, low, high, outcome."""


def check_point(name: object, value: object, low: object, high: object) -> PointCheck | None:
    """A ``run.measure()`` point checked inline, or ``None``: "take the general path".

    Covers the common case: a ``str`` name; a ``float``, ``bool``, ``str`` or exact
    ``int`` value; ``float``, exact ``int`` or ``None`` limits. Anything else, and every
    bad point, is left to :func:`check_name`, :func:`check_limits` and
    :func:`check_value`, whose errors name the bad value.
    """
    if type(name) is not str or not name or len(name) > MAX_NAME or name.isspace():
        return None
    # no limit or a finite float one is taken as it is, inline: this runs for every point
    lo = low if low is None or (type(low) is float and low - low == 0.0) else _fast_limit(low)
    hi = high if high is None or (type(high) is float and high - high == 0.0) else _fast_limit(high)
    if lo is False or hi is False or (lo is not None and hi is not None and lo > hi):
        return None
    number: float
    kind: ValueKind
    if type(value) is float:
        if value - value != 0.0:  # NaN or infinite
            return None
        number, kind = value, "float"
    elif type(value) is bool:
        number, kind = float(value), "bool"
    elif type(value) is int and -_EXACT_INT <= value <= _EXACT_INT:
        number, kind = float(value), "int"
    elif type(value) is str and len(value) <= MAX_TEXT_VALUE:
        unset = lo is None and hi is None
        return 0.0, value, "str", lo, hi, "unset" if unset else "failed"
    else:
        return None
    if lo is None and hi is None:
        return number, "", kind, None, None, "unset"
    failed = (lo is not None and number < lo) or (hi is not None and number > hi)
    return number, "", kind, lo, hi, "failed" if failed else "passed"


def _fast_limit(limit: object) -> float | Literal[False] | None:
    """A finite ``float`` or exact ``int`` limit as a float, ``None``, or ``False``: not here."""
    if limit is None:
        return None
    if type(limit) is float:
        return limit if limit - limit == 0.0 else False
    if type(limit) is int and -_EXACT_INT <= limit <= _EXACT_INT:
        return float(limit)
    return False


def check_custom_metadata(metadata: Mapping[str, object] | None) -> dict[str, CustomValue]:
    """Custom run metadata: text keys, values text, number or flag."""
    checked: dict[str, CustomValue] = {}
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not key:
            raise InvalidMetadata("custom_metadata key", key, "non-empty text")
        if not isinstance(value, str | int | float | bool):
            raise InvalidMetadata(f"custom_metadata[{key!r}]", value, "str, int, float or bool")
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidMetadata(f"custom_metadata[{key!r}]", value, "a finite number")
        checked[key] = value
    return checked


_JSON_SCALARS = (str, bool, int, type(None))


def json_problem(value: object, depth: int = 1) -> tuple[str, object] | None:
    """Why ``value`` cannot be kept as JSON, with the part at fault; ``None`` if it can.

    JSON holds text, whole and finite numbers, flags, null, lists and mappings with
    text keys, nested at most :data:`MAX_METADATA_DEPTH` deep.
    """
    if depth > MAX_METADATA_DEPTH:
        return f"at most {MAX_METADATA_DEPTH} levels of nesting", value
    if isinstance(value, str):
        return None if _is_utf8(value) else ("text that UTF-8 can hold (no lone surrogates)", value)
    if isinstance(value, _JSON_SCALARS):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else ("a finite number (JSON has no inf or NaN)", value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str) or not _is_utf8(key):
                return "UTF-8 text keys", key
            problem = json_problem(item, depth + 1)
            if problem is not None:
                return problem
        return None
    if isinstance(value, list | tuple):
        for item in value:
            problem = json_problem(item, depth + 1)
            if problem is not None:
                return problem
        return None
    return "text, a number, a flag, null, a list or a mapping", value


def _is_utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def check_structured_metadata(metadata: Mapping[str, object] | None) -> str:
    """Structured run metadata as the JSON text of one object ('' when there is none).

    Raises:
        InvalidMetadata: a key is not text, a value (or part of one) cannot be kept
            as JSON, or the whole is longer than :data:`MAX_STRUCTURED_METADATA`.
    """
    if not metadata:
        return ""
    for key, value in metadata.items():
        if not isinstance(key, str) or not key or not _is_utf8(key):
            raise InvalidMetadata("structured_metadata key", key, "non-empty UTF-8 text")
        problem = json_problem(value)
        if problem is not None:
            expected, found = problem
            raise InvalidMetadata(f"structured_metadata[{key!r}]", found, expected)
    text = msgspec.json.encode(dict(metadata)).decode()
    if len(text) > MAX_STRUCTURED_METADATA:
        raise InvalidMetadata(
            "structured_metadata",
            f"{len(text)} characters of JSON",
            f"at most {MAX_STRUCTURED_METADATA} characters",
        )
    return text

"""How yield is grouped: dimensions, production days and shifts, in a time zone.

Shifts are given by the hours they start at (``6,14,22``: 06-14, 14-22, 22-06), in
the time zone ``tz``. A production day starts with its first shift: with the default,
a run at 03:00 on 2 May belongs to the 22-06 shift of 1 May.
"""

from __future__ import annotations

import functools
import itertools
import zoneinfo
from typing import get_args

import msgspec

from benchtrail.api.errors import BadParameter
from benchtrail.api.models.analytics import GroupBy

DEFAULT_SHIFTS = (6, 14, 22)
"""Shift start hours when none are given: 06-14, 14-22, 22-06."""

MAX_TZ_LENGTH = 64
"""Longest time zone name accepted (the longest IANA name has 32 characters)."""

DIMENSIONS: dict[str, tuple[str, str]] = {
    "station": ("station_id", "station_id"),
    "part": ("part_number", "dut_part_number"),
    "product": ("product_id", "product_id"),
    "test_phase": ("test_phase", "test_phase"),
    "fixture": ("fixture_id", "fixture_id"),
    "day": (
        "day",
        "toString(toDate(toTimeZone(started_at, {tz:String}) - toIntervalHour({day_start:UInt8})))",
    ),
    "shift": ("shift", "{shift_by_hour:Array(String)}[toHour(started_at, {tz:String}) + 1]"),
}
"""Dimension → (field of the result row, SQL expression over the ``runs`` columns)."""

_BY_NAME: dict[str, GroupBy] = {name: name for name in get_args(GroupBy)}


class Grouping(msgspec.Struct, frozen=True, kw_only=True):
    """Group-by dimensions (in order), shift start hours and the time zone of days/shifts."""

    dimensions: tuple[GroupBy, ...] = ()
    shift_starts: tuple[int, ...] = DEFAULT_SHIFTS
    tz: str = "UTC"

    def select(self) -> str:
        """``<expression> AS <field>, ...`` for the SELECT list (empty without dimensions)."""
        return "".join(f"{DIMENSIONS[d][1]} AS {DIMENSIONS[d][0]}, " for d in self.dimensions)

    def group_and_order(self) -> str:
        """``GROUP BY ... ORDER BY ...`` over the dimensions; nothing without (one row, always)."""
        key = ", ".join(DIMENSIONS[d][0] for d in self.dimensions)
        return f"GROUP BY {key} ORDER BY {key}" if key else ""

    def parameters(self) -> dict[str, object]:
        """Bound parameters of the dimension expressions."""
        return {
            "tz": self.tz,
            "day_start": self.shift_starts[0],
            "shift_by_hour": shift_by_hour(self.shift_starts),
        }


def shift_labels(starts: tuple[int, ...]) -> list[str]:
    """``HH-HH`` for each shift: from its start to the next one's (the last wraps)."""
    ends = [*starts[1:], starts[0]]
    return [f"{start:02d}-{end:02d}" for start, end in zip(starts, ends, strict=True)]


def shift_by_hour(starts: tuple[int, ...]) -> list[str]:
    """The shift label of each hour 0 to 23 (hours before the first start: the last shift)."""
    labels = shift_labels(starts)
    by_hour = []
    for hour in range(24):
        started = [i for i, start in enumerate(starts) if start <= hour]
        by_hour.append(labels[started[-1]] if started else labels[-1])
    return by_hour


def parse_group_by(text: str | None) -> tuple[GroupBy, ...]:
    """Parse ``group_by``: comma-separated dimensions, each at most once (empty: none).

    Raises:
        BadParameter: an unknown or repeated dimension.
    """
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    if len(set(names)) != len(names) or not all(name in _BY_NAME for name in names):
        expected = "comma-separated dimensions, each once, from: " + ", ".join(_BY_NAME)
        raise BadParameter("group_by", text, expected)
    return tuple(_BY_NAME[name] for name in names)


def parse_shifts(text: str | None) -> tuple[int, ...]:
    """Parse ``shifts``: increasing start hours 0 to 23, comma-separated (empty: default).

    Raises:
        BadParameter: not increasing hours in 0..23.
    """
    if not text or not text.strip():
        return DEFAULT_SHIFTS
    expected = "increasing shift start hours 0 to 23, comma-separated, e.g. 6,14,22"
    try:
        starts = tuple(int(part) for part in text.split(","))
    except ValueError as e:
        raise BadParameter("shifts", text, expected) from e
    in_range = all(0 <= hour <= 23 for hour in starts)
    if not in_range or any(a >= b for a, b in itertools.pairwise(starts)):
        raise BadParameter("shifts", text, expected)
    return starts


def check_tz(text: str | None) -> str:
    """An IANA time zone name (empty: UTC).

    The name is looked up among the zones this machine knows, never opened as a
    path, so an overlong or odd name is a :class:`BadParameter`, not an ``OSError``.

    Raises:
        BadParameter: not a time zone this machine knows.
    """
    if not text:
        return "UTC"
    if len(text) > MAX_TZ_LENGTH or text not in _known_zones():
        raise BadParameter("tz", text, "an IANA time zone name, e.g. Europe/Berlin")
    return text


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}

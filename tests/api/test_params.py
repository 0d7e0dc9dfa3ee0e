"""Property tests of the parameter parsers: times and cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchtrail.api import BadParameter
from benchtrail.api.http.query_params import parse_time
from benchtrail.api.queries.cursors import decode_cursor, encode_cursor
from benchtrail.api.timestamps import MAX_NS, datetime_to_ns

ns = st.integers(min_value=0, max_value=MAX_NS)
moments = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2262, 4, 10), timezones=st.just(UTC)
)


@given(ns)
def test_integer_nanoseconds_parse_as_themselves(value: int) -> None:
    assert parse_time("since", str(value)) == value


@given(moments, st.integers(min_value=0, max_value=999))
def test_iso_times_keep_nanoseconds(moment: datetime, extra_ns: int) -> None:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond:06d}{extra_ns:03d}Z"
    assert parse_time("since", text) == datetime_to_ns(moment) + extra_ns


@given(moments, st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_zones_are_honoured_and_naive_is_utc(moment: datetime, offset_minutes: int) -> None:
    zone = timezone(timedelta(minutes=offset_minutes))
    assert parse_time("until", moment.astimezone(zone).isoformat()) == datetime_to_ns(moment)
    naive = moment.replace(tzinfo=None).isoformat()
    assert parse_time("until", naive) == datetime_to_ns(moment)


@given(st.text(max_size=40))
def test_any_text_parses_or_is_a_bad_parameter(text: str) -> None:
    try:
        value = parse_time("since", text)
    except BadParameter as e:
        assert e.name == "since"
    else:
        assert 0 <= value <= MAX_NS


@given(st.sampled_from(["s", "r"]), ns, st.text(max_size=64))
def test_cursors_round_trip(kind: str, time_ns: int, key: str) -> None:
    cursor = decode_cursor(kind, encode_cursor(kind, time_ns, key))
    assert (cursor.kind, cursor.time_ns, cursor.key) == (kind, time_ns, key)


@given(st.text(max_size=80))
def test_any_text_is_a_cursor_or_a_bad_parameter(text: str) -> None:
    try:
        decode_cursor("s", text)
    except BadParameter as e:
        assert e.name == "cursor"


def test_a_cursor_of_another_endpoint_is_refused() -> None:
    with pytest.raises(BadParameter, match="'cursor'"):
        decode_cursor("s", encode_cursor("r", 5, "run-1"))


def test_times_outside_the_warehouse_range_are_clamped() -> None:
    assert parse_time("since", "1900-01-01") == 0
    assert parse_time("until", "-5") == 0
    assert parse_time("until", str(10**30)) == MAX_NS

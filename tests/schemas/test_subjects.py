"""Subjects: what a station publishes on parses back to its ids; dead letters keep the shape."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchtrail.schemas import (
    DEAD_SUBJECTS,
    EVENTS_SUBJECTS,
    BenchtrailError,
    NotAnEventSubject,
    dead_subject,
    dead_subject_filter,
    event_subject,
    parse_event_subject,
    session_filter,
    station_filter,
)

_TOKENS = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=40)


@given(station_id=_TOKENS, session_id=_TOKENS)
def test_an_event_subject_parses_back_to_its_station_and_session(station_id, session_id):
    assert parse_event_subject(event_subject(station_id, session_id)) == (station_id, session_id)


@pytest.mark.parametrize(
    "subject",
    [
        "bt.evt.cell-7",
        "bt.evt.cell-7.s1.extra",
        "bt.evt..s1",
        "bt.evt.cell-7.",
        "bt.dead.cell-7.s1",
        "xx.evt.cell-7.s1",
        "",
    ],
)
def test_a_subject_of_another_shape_is_refused_with_the_shape_expected(subject):
    with pytest.raises(NotAnEventSubject) as caught:
        parse_event_subject(subject)
    assert isinstance(caught.value, BenchtrailError)
    assert isinstance(caught.value, ValueError)
    assert repr(subject) in str(caught.value)
    assert caught.value.expected == "bt.evt.<station_id>.<session_id>"


def test_a_dead_letter_keeps_the_station_and_session_of_its_subject():
    assert dead_subject(event_subject("cell-7", "s1")) == "bt.dead.cell-7.s1"


@pytest.mark.parametrize(
    ("event_filter", "dead_filter"),
    [
        (EVENTS_SUBJECTS, DEAD_SUBJECTS),
        (station_filter("cell-7"), "bt.dead.cell-7.>"),
        (session_filter("s1"), "bt.dead.*.s1"),
        (event_subject("cell-7", "s1"), "bt.dead.cell-7.s1"),
    ],
)
def test_an_event_filter_becomes_the_filter_of_its_dead_letters(event_filter, dead_filter):
    assert dead_subject_filter(event_filter) == dead_filter


@pytest.mark.parametrize("event_filter", ["bt.dead.>", "bt.evt", "bt.evt.>.x", "bt.evt.a b", ">"])
def test_a_filter_outside_the_event_subjects_is_refused(event_filter):
    with pytest.raises(NotAnEventSubject, match="a filter of event subjects"):
        dead_subject_filter(event_filter)

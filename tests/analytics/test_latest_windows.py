"""The windows the newest points of a measurement are read through."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from benchtrail.api.queries.analytics.latest import WINDOW_DAYS, wider


def test_a_window_sized_to_the_points_found_comes_before_the_week() -> None:
    assert wider(1, 3988, 10_000) == 4


def test_no_point_found_goes_to_the_next_window() -> None:
    assert [wider(1, 0, 100), wider(7, 0, 100), wider(30, 0, 100)] == [7, 30, None]


@given(st.integers(1, 10), st.integers(1, 100_000), st.integers(1, 100_000))
def test_windows_widen_until_everything(first: int, found: int, count: int) -> None:
    days: int | None = first
    steps = 0
    while days is not None:
        following = wider(days, min(found, count - 1) if count > 1 else 0, count)
        assert following is None or following > days
        assert following is None or days >= WINDOW_DAYS[-2] or following <= 30
        days = following
        steps += 1
    assert steps <= 31

"""Pages of runs around the 7-day window they are first read in (and of sessions beside)."""

from __future__ import annotations

import time

import pytest

from benchtrail.api.queries.cursors import decode_cursor
from benchtrail.api.queries.runs import CURSOR_KIND as RUN_CURSOR
from benchtrail.api.queries.runs import list_runs
from benchtrail.api.queries.sessions import CURSOR_KIND as SESSION_CURSOR
from benchtrail.api.queries.sessions import list_sessions
from benchtrail.projector import Warehouse
from benchtrail.schemas import DutInfo, RunStarted, SessionStarted, StationInfo, new_id

from .seed import write_events

HOUR = 3600 * 1_000_000_000
AGES_H = [1, 2, 2, 30, 100, 160, 167, 169, 200, 400, 700, 2000]
"""Hours before now each session (of one run) started: both sides of 7 days (168 h)."""


def _sessions(now: int) -> list[tuple[str, str, int]]:
    """(session id, run id, start ns) of each seeded session."""
    return [(new_id(), new_id(), now - age * HOUR) for age in AGES_H]


@pytest.fixture
def seeded_ages(warehouse: Warehouse) -> list[tuple[str, str, int]]:
    sessions = _sessions(time.time_ns())
    events = []
    for session_id, run_id, start in sessions:
        envelope = {"session_id": session_id, "station_id": "cell-w"}
        events.append(
            SessionStarted(
                **envelope,
                event_id=new_id(),
                seq=1,
                occurred_at=start,
                station=StationInfo(id="cell-w"),
            )
        )
        events.append(
            RunStarted(
                **envelope,
                event_id=new_id(),
                seq=2,
                occurred_at=start,
                run_id=run_id,
                dut=DutInfo(serial=f"SN-{run_id[-6:]}"),
            )
        )
    write_events(warehouse, events)
    return sorted(sessions, key=lambda s: (s[2], s[1]), reverse=True)


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 7, 20])
def test_runs_pages_cross_the_week_without_losing_or_repeating_a_run(
    warehouse: Warehouse, seeded_ages: list[tuple[str, str, int]], limit: int
) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = list_runs(warehouse, {}, limit=limit, cursor=cursor)
        assert len(page.items) <= limit
        seen.extend(run.run_id for run in page.items)
        if page.next_cursor is None:
            break
        cursor = decode_cursor(RUN_CURSOR, page.next_cursor)
    assert seen == [run_id for _, run_id, _ in seeded_ages]


@pytest.mark.parametrize("limit", [1, 3, 4, 20])
def test_sessions_pages_cross_the_week_without_losing_or_repeating_a_session(
    warehouse: Warehouse, seeded_ages: list[tuple[str, str, int]], limit: int
) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = list_sessions(warehouse, {}, limit=limit, cursor=cursor)
        seen.extend(session.session_id for session in page.items)
        if page.next_cursor is None:
            break
        cursor = decode_cursor(SESSION_CURSOR, page.next_cursor)
    expected = sorted(seeded_ages, key=lambda s: (s[2], s[0]), reverse=True)
    assert seen == [session_id for session_id, _, _ in expected]

"""Sessions and stations over real HTTP: metadata intact, filters, pagination."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from benchtrail.api import EventStore, SessionSummary
from benchtrail.schemas import SessionStarted

from .seed import PAGED_COUNT, PAGED_STATION, T0, Seed


def expected_session(started: SessionStarted) -> dict[str, object]:
    """Every SessionSummary metadata field, as the session.started event said it."""
    return {
        "session_id": started.session_id,
        "station_id": started.station_id,
        "session_type": started.session_type,
        "station_name": started.station.name,
        "station_type": started.station.type,
        "station_location": started.station.location,
        "hostname": started.station.hostname,
        "pid": started.process.pid,
        "client_name": started.process.client.name,
        "client_version": started.process.client.version,
        "operator_id": started.operator.id,
        "operator_name": started.operator.name,
        "fixture_id": started.fixture_id,
        "slot_count": started.slot_count,
        "device_ids": started.device_ids,
        "git_commit": started.git.commit,
        "git_branch": started.git.branch,
        "git_remote": started.git.remote,
        "git_dirty": started.git.dirty,
        "python_version": started.environment.python,
        "packages": started.environment.packages,
        "started_at_ns": started.occurred_at,
    }


def test_session_metadata_comes_back_intact_over_http(seeded: Seed, api_url: str) -> None:
    started = seeded.main_session
    body = httpx.get(f"{api_url}/api/sessions/{started.session_id}").json()
    for name, value in expected_session(started).items():
        assert body[name] == value, name
    assert body["started_at"] == "2024-05-01T12:16:40Z"
    assert body["ended_at"] == "2024-05-01T12:16:52Z"
    assert body["status"] == "ended"
    assert body["end_reason"] == "finished"
    assert body["run_count"] == 2
    assert body["event_count"] == len(seeded.main)


def test_session_metadata_comes_back_intact_through_event_store(
    seeded: Seed, store: EventStore
) -> None:
    started = seeded.main_session
    session = store.session(started.session_id)
    for name, value in expected_session(started).items():
        assert getattr(session, name) == value, name
    assert session.started_at == datetime(2024, 5, 1, 12, 16, 40, tzinfo=UTC)
    assert session.ended_at_ns == seeded.main[-1].occurred_at
    listed = store.sessions(station_id="cell-7")
    assert [s.session_id for s in listed] == [started.session_id]
    assert isinstance(listed[0], SessionSummary)
    assert expected_session(started) == {
        name: getattr(listed[0], name) for name in expected_session(started)
    }


def test_session_detail_lists_runs_and_counts(seeded: Seed, store: EventStore) -> None:
    session = store.session(seeded.main_session.session_id)
    assert [r.run_id for r in session.runs] == ["run-a2", "run-a1"]
    assert session.counts.runs_by_outcome == {
        "passed": 1, "failed": 1, "error": 0, "aborted": 0, "running": 0,
    }  # fmt: skip
    assert session.counts.measurement_count == 6
    assert session.counts.failed_measurement_count == 1
    for run in session.runs:  # each run's counts, as its own detail gives them
        detail = store.run(run.run_id)
        assert run.measurement_count == detail.measurement_count > 0, run.run_id
        assert run.failed_measurement_count == detail.failed_measurement_count, run.run_id
        assert run.step_count == detail.step_count, run.run_id
    assert sum(run.failed_measurement_count for run in session.runs) == 1


def test_a_detail_with_fewer_runs_than_the_session_still_counts_them_all(
    seeded: Seed, store: EventStore
) -> None:
    """The runs by outcome are counted in the warehouse when the page does not hold them all."""
    whole = store.session(seeded.main_session.session_id)
    newest = store.session(seeded.main_session.session_id, run_limit=1)
    assert [r.run_id for r in newest.runs] == ["run-a2"]
    assert newest.counts == whole.counts
    assert newest.run_count == 2


def test_running_session_has_no_end(seeded: Seed, store: EventStore) -> None:
    running = store.session(seeded.running[0].session_id)
    assert running.status == "running"
    assert running.ended_at is None
    assert running.ended_at_ns is None
    assert running.counts.runs_by_outcome["running"] == 1


@pytest.mark.parametrize(
    ("query", "stations"),
    [
        ({"station_id": "cell-9"}, {"cell-9"}),
        ({"session_type": "pytest"}, {"cell-7"}),
        ({"operator_id": "op-2"}, {"cell-9"}),
        ({"since": "2024-05-01T12:16:40Z"}, {"cell-7", "cell-9"}),
        ({"since": str(T0 + 1500 * 10**9)}, {"cell-9"}),
        ({"since": "2024-05-01T14:10:00+02:00", "until": "2024-05-01T12:20"}, {"cell-7"}),
        ({"until": "2024-05-01T12:00:05.000000001"}, {PAGED_STATION}),
        ({"station_id": "nowhere"}, set()),
    ],
)
def test_session_filters(
    seeded: Seed, api_url: str, query: dict[str, str], stations: set[str]
) -> None:
    body = httpx.get(f"{api_url}/api/sessions", params={**query, "limit": 1000}).json()
    assert {s["station_id"] for s in body["items"]} == stations
    assert body["next_cursor"] is None


def test_until_is_exclusive_and_keeps_nanoseconds(seeded: Seed, store: EventStore) -> None:
    before = store.sessions(station_id=PAGED_STATION, until="2024-05-01T12:00:05", limit=None)
    after = store.sessions(station_id=PAGED_STATION, since="2024-05-01T12:00:05", limit=None)
    assert len(before) == 5
    assert len(before) + len(after) == PAGED_COUNT
    naive = store.sessions(station_id=PAGED_STATION, until=datetime(2024, 5, 1, 12, 0, 5))
    assert [s.session_id for s in naive] == [s.session_id for s in before]


def test_three_pages_without_overlap_or_gap(seeded: Seed, api_url: str) -> None:
    expected = sorted(
        (e for e in seeded.paged if isinstance(e, SessionStarted)),
        key=lambda e: (e.occurred_at, e.session_id),
        reverse=True,
    )
    pages: list[list[str]] = []
    cursor = None
    while True:
        params = {"station_id": PAGED_STATION, "limit": 10}
        if cursor is not None:
            params["cursor"] = cursor
        body = httpx.get(f"{api_url}/api/sessions", params=params).json()
        pages.append([s["session_id"] for s in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [i for page in pages for i in page] == [e.session_id for e in expected]


def test_event_store_follows_pages_and_exposes_next_cursor(seeded: Seed, store: EventStore) -> None:
    every = store.sessions(station_id=PAGED_STATION, limit=None)
    assert len(every) == PAGED_COUNT
    assert every.next_cursor is None
    first = store.sessions(station_id=PAGED_STATION, limit=12)
    assert first.next_cursor is not None
    rest = store.sessions(station_id=PAGED_STATION, limit=None, cursor=first.next_cursor)
    assert [s.session_id for s in [*first, *rest]] == [s.session_id for s in every]


def test_stations_show_sessions_and_what_runs_now(seeded: Seed, store: EventStore) -> None:
    stations = {s.station_id: s for s in store.stations()}
    assert set(stations) == {"cell-7", "cell-9", PAGED_STATION}
    cell7 = stations["cell-7"]
    assert (cell7.station_name, cell7.station_type, cell7.station_location) == (
        "Cell 7", "ict", "Line 2",
    )  # fmt: skip
    assert cell7.hostname == "bench-pc-7"
    assert cell7.session_count == 1
    assert cell7.running_session_count == 0
    assert cell7.last_seen_ns == seeded.main[-1].occurred_at
    cell9 = stations["cell-9"]
    assert cell9.running_session_ids == [seeded.running[0].session_id]
    assert stations[PAGED_STATION].session_count == PAGED_COUNT


def test_health_reports_the_warehouse_and_the_status_provider(store: EventStore) -> None:
    health = store.health()
    assert health.status == "ok"
    assert health.warehouse.reachable is True
    assert health.extra == {"projector": {"lag": 0}}

"""A session's events over real HTTP: as sent, in seq order, filtered and paged."""

from __future__ import annotations

import httpx

from benchtrail.api import EventStore
from benchtrail.schemas import RunStarted, from_json

from .seed import Seed


def test_events_come_back_as_the_station_sent_them(seeded: Seed, store: EventStore) -> None:
    events = store.events(seeded.main_session.session_id, limit=None)
    assert list(events) == seeded.main
    assert events.next_cursor is None


def test_raw_json_is_the_original_event_json(seeded: Seed, api_url: str) -> None:
    session_id = seeded.main_session.session_id
    response = httpx.get(f"{api_url}/api/sessions/{session_id}/events")
    assert response.headers["content-type"] == "application/json"
    assert [from_json(httpx.Response(200, json=e).content) for e in response.json()] == seeded.main


def test_event_type_filter(seeded: Seed, store: EventStore) -> None:
    runs = store.events(session_id=seeded.main_session.session_id, event_type="run.started")
    assert [type(e) for e in runs] == [RunStarted, RunStarted]
    assert [e.run_id for e in runs if isinstance(e, RunStarted)] == ["run-a1", "run-a2"]


def test_after_seq_pages_through_the_session(seeded: Seed, api_url: str) -> None:
    url = f"{api_url}/api/sessions/{seeded.main_session.session_id}/events"
    first = httpx.get(url, params={"limit": 5})
    assert [e["seq"] for e in first.json()] == [1, 2, 3, 4, 5]
    assert first.headers["X-Next-After-Seq"] == "5"
    last = httpx.get(url, params={"after_seq": 10, "limit": 5})
    assert [e["seq"] for e in last.json()] == [11, 12, 13]
    assert "X-Next-After-Seq" not in last.headers


def test_event_store_limit_and_next_cursor(seeded: Seed, store: EventStore) -> None:
    session_id = seeded.main_session.session_id
    head = store.events(session_id, limit=4)
    assert [e.seq for e in head] == [1, 2, 3, 4]
    assert head.next_cursor == "4"
    tail = store.events(session_id, after_seq=int(head.next_cursor), limit=None)
    assert [e.seq for e in tail] == list(range(5, len(seeded.main) + 1))

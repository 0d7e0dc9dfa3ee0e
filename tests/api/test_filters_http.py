"""The filters users ask by, on every list endpoint: only the matching rows come back."""

from __future__ import annotations

import httpx
import pytest

from benchtrail.api import EventStore

from .seed import PAGED_STATION, T0, T1, Seed

S = 10**9


@pytest.mark.parametrize(
    ("query", "run_ids"),
    [
        ({"lot_number": "L42"}, {"run-a1"}),
        ({"product_id": "P-100"}, {"run-a1"}),
        ({"product_name": "Widget"}, {"run-a1"}),
        ({"test_phase": "final"}, {"run-a1"}),
        ({"project_name": "widget-eol"}, {"run-a1"}),
        ({"git_commit": "abc123"}, {"run-a1"}),
        ({"git_commit": "abc123def456"}, {"run-a1"}),
        ({"git_commit": "bc123"}, set()),
        ({"operator_id": "op-1"}, {"run-a1", "run-a2"}),
        ({"operator_id": "op-2"}, {"run-b1"}),
        ({"part_number": "PN-1", "outcome": "passed"}, {"run-a2"}),
        ({"test_phase": "final", "outcome": "passed"}, set()),
    ],
)
def test_run_filters(api_url: str, query: dict[str, str], run_ids: set[str]) -> None:
    body = httpx.get(f"{api_url}/api/runs", params={**query, "limit": 1000}).json()
    assert {r["run_id"] for r in body["items"]} == run_ids


def test_session_filters(seeded: Seed, api_url: str) -> None:
    main = seeded.main_session.session_id

    def ids(**query: str) -> set[str]:
        body = httpx.get(f"{api_url}/api/sessions", params={**query, "limit": 1000}).json()
        return {s["session_id"] for s in body["items"]}

    assert ids(git_commit="abc1") == {main}
    assert ids(project_name="widget-eol") == {main}
    assert ids(dut_serial="SN124") == {main}
    assert ids(dut_serial="SN-P03", station_id=PAGED_STATION) == {
        e.session_id for e in seeded.paged if getattr(e, "run_id", None) == "run-p03"
    }
    assert ids(operator_id="op-1", session_type="pytest") == {main}
    assert ids(operator_id="op-1", session_type="script") == set()


def test_station_filters(store: EventStore) -> None:
    assert [s.station_id for s in store.stations(station_type="ict")] == ["cell-7"]
    assert [s.station_id for s in store.stations(station_location="Line 2")] == ["cell-7"]
    since = [s.station_id for s in store.stations(since=T0 + 1500 * S)]
    assert since == ["cell-9"]
    until = [s.station_id for s in store.stations(until=T0 + 1000 * S)]
    assert until == [PAGED_STATION]


def test_event_filters(seeded: Seed, store: EventStore) -> None:
    session_id = seeded.main_session.session_id
    of_run = store.events(session_id, run_id="run-a2", limit=None)
    assert [type(e).__name__ for e in of_run] == ["RunStarted", "Measurement", "RunEnded"]
    first = seeded.main[0].occurred_at
    window = store.events(session_id, since=first + 2 * S, until=first + 4 * S, limit=None)
    assert [e.seq for e in window] == [3, 4]


def test_measurement_filters(store: EventStore) -> None:
    failed = store.measurements(outcome="failed", limit=None)
    assert [(m.run_id, m.name, m.value) for m in failed] == [("run-a1", "ripple", 0.05)]
    of_dut = store.measurements(dut_serial="SN124", limit=None)
    assert [(m.run_id, m.name) for m in of_dut] == [("run-a2", "vout")]
    vout = store.measurements(station_id="cell-7", name="vout", limit=None)
    assert [m.value for m in vout] == [3.31, 3.30]
    assert [m.ts_ns for m in vout] == sorted(m.ts_ns for m in vout)
    phase = store.measurements(test_phase="final", project_name="widget-eol", limit=None)
    assert {m.run_id for m in phase} == {"run-a1"}


def test_measurement_pages_are_stable_and_complete(store: EventStore) -> None:
    everything = store.measurements(limit=None)
    keys = [(m.station_id, m.name, m.ts_ns, m.event_id, m.point_index) for m in everything]
    assert keys == sorted(keys)
    paged = []
    cursor = None
    while True:
        page = store.measurements(limit=2, cursor=cursor)
        paged += [(m.station_id, m.name, m.ts_ns, m.event_id, m.point_index) for m in page]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert paged == keys


def test_history_filters_by_station_operator_and_time(history_store: EventStore) -> None:
    runs = history_store.runs(dut_serial="SN-H1", operator_id="op-h", limit=None)
    assert {r.run_id for r in runs} == {"run-h1", "run-h4", "run-h5"}
    since = history_store.runs(since=T1 + 100 * S, until=T1 + 202 * S, limit=None)
    assert {r.run_id for r in since} == {"run-h3", "run-h4"}
    sessions = history_store.sessions(git_commit="feedbeef", limit=None)
    assert {s.station_id for s in sessions} == {"ict-1", "fct-1"}

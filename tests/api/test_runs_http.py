"""Runs over real HTTP: metadata intact, measurements and steps, filters, pagination."""

from __future__ import annotations

import httpx
import pytest

from benchtrail.api import EventStore, RunDetail
from benchtrail.schemas import RunEnded, RunStarted

from .seed import PAGED_COUNT, PAGED_STATION, Seed


def expected_run(started: RunStarted) -> dict[str, object]:
    """Every RunSummary metadata field, as the run.started event said it."""
    return {
        "run_id": started.run_id,
        "session_id": started.session_id,
        "station_id": started.station_id,
        "dut_serial": started.dut.serial,
        "dut_part_number": started.dut.part_number,
        "dut_revision": started.dut.revision,
        "dut_lot_number": started.dut.lot_number,
        "product_id": started.product.id,
        "product_name": started.product.name,
        "product_revision": started.product.revision,
        "slot_id": started.slot.id,
        "slot_index": started.slot.index,
        "fixture_id": started.fixture_id,
        "test_phase": started.test_phase,
        "project_name": started.project_name,
        "git_commit": started.git.commit,
        "git_branch": started.git.branch,
        "git_remote": started.git.remote,
        "git_dirty": started.git.dirty,
        "python_version": started.environment.python,
        "packages": started.environment.packages,
        "custom_metadata": started.custom_metadata,
        "channel_refs": started.channel_refs,
        "started_at_ns": started.occurred_at,
    }


def test_run_metadata_comes_back_intact_over_http(seeded: Seed, api_url: str) -> None:
    started = seeded.run_started("run-a1")
    body = httpx.get(f"{api_url}/api/runs/run-a1").json()
    for name, value in expected_run(started).items():
        assert body[name] == value, name
    assert body["custom_metadata"] == {"temp_c": 25.5, "retest": False, "fw": "1.2.3", "count": 3}
    assert body["outcome"] == "failed"
    assert body["status"] == "ended"
    assert body["error"] == "ripple high"
    assert body["duration_ns"] == 5 * 10**9


def test_run_metadata_comes_back_intact_through_event_store(
    seeded: Seed, store: EventStore
) -> None:
    started = seeded.run_started("run-a1")
    run = store.run("run-a1")
    assert isinstance(run, RunDetail)
    for name, value in expected_run(started).items():
        assert getattr(run, name) == value, name
    ended = next(e for e in seeded.main if isinstance(e, RunEnded) and e.run_id == "run-a1")
    assert run.ended_at_ns == ended.occurred_at
    (listed,) = store.runs(dut_serial="SN123")
    assert {name: getattr(listed, name) for name in expected_run(started)} == expected_run(started)


def test_run_detail_has_measurements_in_time_order_and_steps(store: EventStore) -> None:
    run = store.run("run-a1")
    points = [(p.name, p.value, p.value_str, p.outcome) for p in run.measurements]
    assert points == [
        ("vout", 3.31, "", "passed"),
        ("fw_version", None, "1.2.3", "unset"),
        ("ripple", 0.01, "", "passed"),
        ("ripple", 0.02, "", "passed"),
        ("ripple", 0.05, "", "failed"),
    ]
    vout = run.measurements[0]
    assert (vout.unit, vout.low, vout.high, vout.step) == ("V", 3.2, 3.4, "power")
    assert [p.ts_ns for p in run.measurements] == sorted(p.ts_ns for p in run.measurements)
    assert (run.measurement_count, run.failed_measurement_count, run.step_count) == (5, 1, 1)
    assert run.measurements_truncated is False
    (step,) = run.steps
    assert (step.name, step.outcome, step.duration_ns) == ("power", "failed", 3 * 10**9)
    assert step.ended_at_ns is not None and step.started_at_ns is not None


def test_measurement_limit_truncates_but_keeps_the_total(store: EventStore) -> None:
    run = store.run("run-a1", measurement_limit=2)
    assert [p.name for p in run.measurements] == ["vout", "fw_version"]
    assert run.measurement_count == 5
    assert run.measurements_truncated is True


def test_running_run_has_no_outcome_yet(store: EventStore) -> None:
    run = store.run("run-b1")
    assert (run.status, run.outcome, run.ended_at, run.duration_ns) == (
        "running", None, None, None,
    )  # fmt: skip
    assert run.measurement_count == 1


@pytest.mark.parametrize(
    ("query", "run_ids"),
    [
        ({"dut_serial": "SN123"}, {"run-a1"}),
        ({"part_number": "PN-1"}, {"run-a1", "run-a2"}),
        ({"outcome": "failed"}, {"run-a1"}),
        ({"outcome": "passed"}, {"run-a2"}),
        ({"outcome": "running", "station_id": "cell-9"}, {"run-b1"}),
        ({"station_id": "cell-7"}, {"run-a1", "run-a2"}),
        ({"session_id": "no-such-session"}, set()),
        (
            {"since": "2024-05-01T12:16:42", "until": "2024-05-01T12:33:21.000000001Z"},
            {"run-a2", "run-b1"},
        ),
    ],
)
def test_run_filters(api_url: str, query: dict[str, str], run_ids: set[str]) -> None:
    body = httpx.get(f"{api_url}/api/runs", params={**query, "limit": 1000}).json()
    assert {r["run_id"] for r in body["items"]} == run_ids


def test_runs_page_newest_first_with_ties_broken_by_id(seeded: Seed, api_url: str) -> None:
    expected = sorted(
        (e for e in seeded.paged if isinstance(e, RunStarted)),
        key=lambda e: (e.occurred_at, e.run_id),
        reverse=True,
    )
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(3):
        params = {
            "station_id": PAGED_STATION,
            "limit": 10,
            **({"cursor": cursor} if cursor else {}),
        }
        body = httpx.get(f"{api_url}/api/runs", params=params).json()
        seen.extend(r["run_id"] for r in body["items"])
        cursor = body["next_cursor"]
    assert cursor is None
    assert seen == [e.run_id for e in expected]
    assert len(set(seen)) == PAGED_COUNT


def test_event_store_runs_follow_pages(store: EventStore) -> None:
    first = store.runs(station_id=PAGED_STATION, limit=7)
    rest = store.runs(station_id=PAGED_STATION, cursor=first.next_cursor, limit=None)
    assert len(first) == 7
    assert len(rest) == PAGED_COUNT - 7
    assert not {r.run_id for r in first} & {r.run_id for r in rest}

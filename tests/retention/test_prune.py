"""``benchtrail data prune`` against a running hub: old days leave every table and the stream."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from click.testing import CliRunner

from benchtrail.agents import connect
from benchtrail.api import EventStore
from benchtrail.api.hub.embedded import Hub
from benchtrail.cli import main
from benchtrail.projector import Warehouse

from .history import (
    TIME_COLUMNS,
    RecordedSession,
    days_ago,
    publish,
    rows_before,
    session_rows,
    stream_first_seq,
)


@dataclass
class History:
    """Two sessions recorded long ago, one recent, all in the hub's warehouse."""

    hub: Hub
    warehouse: Warehouse
    long_ago: RecordedSession
    months_ago: RecordedSession
    recent: RecordedSession

    @property
    def old(self) -> list[RecordedSession]:
        return [self.long_ago, self.months_ago]

    def prune(self, *args: str) -> str:
        """Run ``benchtrail data prune ARGS`` against the hub's API; return its output."""
        runner = CliRunner(env={"COLUMNS": "200"})
        result = runner.invoke(main, ["data", "prune", *args, "--api", self.hub.api_url])
        assert result.exit_code == 0, result.output
        return result.output


def _day(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).date().isoformat()


def _record_history(hub: Hub) -> History:
    assert hub.warehouse is not None
    history = History(
        hub,
        hub.warehouse,
        long_ago=RecordedSession("cell-1", days_ago(200)),
        months_ago=RecordedSession("cell-2", days_ago(120)),
        recent=RecordedSession("cell-1", days_ago(0.01)),
    )
    publish(hub.nats.url, [history.long_ago, history.months_ago, history.recent])
    hub.wait_ingested()
    return history


@pytest.fixture
def history(running_hub: Hub) -> History:
    return _record_history(running_hub)


def test_dry_run_reports_the_old_days_and_changes_nothing(history: History):
    warehouse = history.warehouse
    counts = warehouse.table_counts()
    first_seq = stream_first_seq(history.hub.nats.url)
    old_days = [_day(s.start_ns) for s in history.old]

    shown = history.prune("--older-than", "90d", "--dry-run")
    assert "Dry run, nothing changed; would remove data older than 90d" in shown
    assert f"{old_days[0]}, {old_days[1]}" in shown
    assert "would purge 2 frames" in shown

    report = json.loads(history.prune("--older-than", "90d", "--dry-run", "--json"))
    assert report["dry_run"] is True
    assert report["policy"] == "argument"
    by_table = {entry["table"]: entry for entry in report["tables"]}
    old_rows = [session_rows(warehouse, s) for s in history.old]
    for table, column in TIME_COLUMNS.items():
        entry = by_table[table]
        assert (entry["method"], entry["time_column"]) == ("partitions", column)
        assert entry["days"] == old_days
        assert entry["rows"] == old_rows[0][table] + old_rows[1][table] > 0
    assert report["rows"] == sum(sum(rows.values()) for rows in old_rows)
    assert report["stream"]["messages"] == 2
    assert report["stream"]["kept_from"] == history.recent.stream_seq

    assert warehouse.table_counts() == counts
    assert stream_first_seq(history.hub.nats.url) == first_seq


def test_prune_drops_old_days_everywhere_and_keeps_recording(history: History):
    warehouse = history.warehouse
    recent_rows = session_rows(warehouse, history.recent)

    shown = history.prune("--older-than", "90d")
    assert "Pruned data older than 90d (--older-than)" in shown
    assert "purged 2 frames" in shown

    before = days_ago(90) - 86_400 * 10**9  # the cut's day is kept whole: a day's margin
    assert set(rows_before(warehouse, before).values()) == {0}
    for old in history.old:
        assert set(session_rows(warehouse, old).values()) == {0}
    assert session_rows(warehouse, history.recent) == recent_rows
    assert stream_first_seq(history.hub.nats.url) == history.recent.stream_seq

    with connect("cell-3", hub=history.hub.nats.url) as station:
        with station.run(dut_serial="SN-AFTER") as run:
            run.measure("vout", 5.0, unit="V")
        new_session = station.session_id
    history.hub.wait_ingested()
    with EventStore(history.hub.api_url) as store:
        listed = {s.session_id for s in store.sessions(limit=None)}
        assert store.runs(dut_serial="SN-AFTER")[0].measurement_count == 1
    assert listed == {history.recent.session_id, new_session}

    again = json.loads(history.prune("--older-than", "90d", "--json"))
    assert again["rows"] == 0 and again["stream"]["messages"] == 0
    assert again["message"].startswith("nothing recorded before")


def test_an_age_in_hours_or_weeks_cuts_whole_days(history: History):
    report = json.loads(history.prune("--older-than", "18w", "--json"))  # 126 days
    days = {tuple(t["days"]) for t in report["tables"] if t["table"] in TIME_COLUMNS}
    assert days == {(_day(history.long_ago.start_ns),)}
    assert set(session_rows(history.warehouse, history.long_ago).values()) == {0}
    assert set(session_rows(history.warehouse, history.months_ago).values()) != {0}
    assert stream_first_seq(history.hub.nats.url) == history.months_ago.stream_seq

    shown = history.prune("--older-than", "12h", "--dry-run")
    assert _day(history.months_ago.start_ns) in shown


def test_without_an_age_the_default_policy_keeps_everything(history: History):
    counts = history.warehouse.table_counts()
    shown = history.prune()
    assert "Nothing pruned: no --older-than given and the hub has no retention configured" in shown
    assert history.warehouse.table_counts() == counts
    assert stream_first_seq(history.hub.nats.url) == history.long_ago.stream_seq


@pytest.mark.parametrize("age", ["90", "90x", "0d", "-3d", "1.5d", "ninety days"])
def test_a_bad_age_is_a_usage_error_naming_the_option(age: str):
    result = CliRunner().invoke(main, ["data", "prune", "--older-than", age])
    assert result.exit_code == 2
    assert "--older-than" in result.output
    assert "expected a duration such as 90d, 12h or 2w" in result.output


def test_the_api_refuses_a_bad_age_with_400(running_hub: Hub):
    response = httpx.post(f"{running_hub.api_url}/api/data/prune", params={"older_than": "3 days"})
    assert response.status_code == 400
    body = response.json()
    assert (body["error"], body["parameter"], body["value"]) == (
        "bad_parameter",
        "older_than",
        "3 days",
    )

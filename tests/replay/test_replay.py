"""``benchtrail replay --into DIR``: the stream rebuilds tables identical to the live ones.

The command runs in a subprocess: a chDB directory opens in one process only, and
this test process already has the hub's open.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchtrail.api.hub.embedded import Hub
from benchtrail.projector import Warehouse
from benchtrail.projector.checksums import warehouse_checksums
from benchtrail.projector.replay import ReplayProgress, ReplayTargetNotEmpty, replay
from benchtrail.schemas import PROJECTOR_DURABLE

from .conftest import consumers


def benchtrail(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``benchtrail`` command (as ``python -m benchtrail.api``)."""
    return subprocess.run(
        [sys.executable, "-m", "benchtrail.api", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def live_warehouse(hub: Hub) -> Warehouse:
    assert hub.warehouse is not None
    return hub.warehouse


def test_replay_rebuilds_every_table_and_verifies_it(recorded_hub: Hub, tmp_path: Path) -> None:
    live = warehouse_checksums(live_warehouse(recorded_hub))
    before = consumers(recorded_hub)
    target = tmp_path / "rebuilt"
    hub_args = ["--hub", recorded_hub.nats.url, "--api", recorded_hub.api_url]

    done = benchtrail("replay", "--into", str(target), *hub_args, "--verify", "--json")

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rebuilt = {name: (t["rows"], t["checksum"]) for name, t in report["replay"]["tables"].items()}
    assert rebuilt == {name: (t.rows, t.checksum) for name, t in live.items()}
    assert live["measurements"].rows == 2 * (2 + 3000) + 1
    assert live["measurement_tables"].rows == 2 * 2  # a 25,000-point table in 2 parts, per run
    assert all(
        live[name].rows for name in ("sessions", "runs", "steps", "instrument_calls", "logs")
    )
    assert report["verify"]["verdict"] == "match"
    assert [t["match"] for t in report["verify"]["tables"]] == [True] * len(live)
    assert report["replay"]["dead_letters"] == 1  # counted, not stored in BT_DEAD again
    assert consumers(recorded_hub) == before  # live ack floor, deliveries, BT_DEAD untouched
    assert before.names == {PROJECTOR_DURABLE}  # and the replay's consumer is gone

    again = benchtrail("replay", "--into", str(target), *hub_args)

    assert again.returncode == 1
    assert f"replay target {str(target)!r} is not empty" in again.stderr
    assert "chDB data directory" in again.stderr and "--force" in again.stderr


def test_verify_names_a_table_that_differs_from_the_live_one(
    recorded_hub: Hub, tmp_path: Path
) -> None:
    target = tmp_path / "rebuilt"
    target.mkdir()
    (target / "notes.txt").write_text("something")
    live = live_warehouse(recorded_hub)
    live.command(
        f"INSERT INTO {live.database}.steps (step_id, run_id, name, event_id)"
        " VALUES ('x', 'x', 'tampered', 'x')"
    )
    hub_args = ["--hub", recorded_hub.nats.url, "--api", recorded_hub.api_url]

    done = benchtrail("replay", "--into", str(target), *hub_args, "--verify", "--force")

    assert done.returncode == 1, done.stderr
    steps_line = next(line for line in done.stdout.splitlines() if " steps " in f" {line} ")
    assert "✗" in steps_line
    assert done.stdout.count("✓") == len(warehouse_checksums(live)) - 1
    assert "1 table(s) differ from the live warehouse: steps" in done.stderr


def test_replay_through_a_sequence_then_refuses_then_forces(
    recorded_hub: Hub, warehouse: Warehouse
) -> None:
    live = live_warehouse(recorded_hub)
    db = live.database
    seqs = [
        row["s"]
        for row in live.rows(f"SELECT DISTINCT stream_seq AS s FROM {_envelopes(db)} ORDER BY s")
    ]
    # Two sessions are at least two frames; how many more depends on the linger timer, so
    # take the middle one from below: some frames always stay after ``through``.
    assert len(seqs) >= 2, seqs
    through = seqs[(len(seqs) - 1) // 2]
    steps: list[ReplayProgress] = []

    partial = replay(recorded_hub.nats.url, warehouse, through=through, on_progress=steps.append)

    expected = live.scalar(
        f"SELECT count() FROM {_envelopes(db)} WHERE stream_seq <= {{t:UInt64}}", {"t": through}
    )
    stored = warehouse.scalar(f"SELECT count() FROM {_envelopes(warehouse.database)}")
    assert partial.through == through
    assert stored == expected < live.scalar(f"SELECT count() FROM {_envelopes(db)}")
    top = warehouse.scalar(f"SELECT max(stream_seq) FROM {_envelopes(warehouse.database)}")
    assert top <= through
    assert steps[-1].done == steps[-1].total == through - partial.first_seq + 1
    assert [step.done for step in steps] == sorted(step.done for step in steps)

    with pytest.raises(ReplayTargetNotEmpty, match=repr(warehouse.database)):
        replay(recorded_hub.nats.url, warehouse)
    full = replay(recorded_hub.nats.url, warehouse, force=True)

    assert full.tables == warehouse_checksums(live)
    assert consumers(recorded_hub).names == {PROJECTOR_DURABLE}


def test_a_replay_that_fails_midway_leaves_no_consumer_behind(
    recorded_hub: Hub, warehouse: Warehouse
) -> None:
    before = consumers(recorded_hub)

    def interrupt(progress: ReplayProgress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        replay(recorded_hub.nats.url, warehouse, on_progress=interrupt)

    assert consumers(recorded_hub) == before


def _envelopes(db: str) -> str:
    """Every stored event's envelope: ``events`` and ``measurement_events``."""
    return (
        f"(SELECT stream_seq FROM {db}.events FINAL"
        f" UNION ALL SELECT stream_seq FROM {db}.measurement_events FINAL)"
    )

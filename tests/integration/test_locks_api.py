"""Locks through the hub: listed over HTTP, the client and the CLI; broken by force, recorded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import msgspec
import pytest
from click.testing import CliRunner

from benchtrail.api import EventStore
from benchtrail.api.errors import NotFound
from benchtrail.api.hub.embedded import Hub
from benchtrail.cli import main
from benchtrail.schemas import LockReleased

HOLDER = Path(__file__).parents[1] / "agents" / "lock_holder.py"


@pytest.fixture
def holder(running_hub: Hub):
    """A real process holding the lock ``cell-7.dmm`` on the hub."""
    process = subprocess.Popen(
        [sys.executable, str(HOLDER), running_hub.nats.url, "cell-7.dmm"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("acquired")
    yield process
    process.kill()
    process.wait()
    process.stdout.close()


def test_locks_are_listed_and_broken_by_force_with_a_record_of_who(running_hub: Hub, holder):
    api = running_hub.api_url
    listed = httpx.get(f"{api}/api/locks").json()
    assert [(lock["key"], lock["station_id"], lock["pid"]) for lock in listed] == [
        ("cell-7.dmm", "holder", holder.pid)
    ]

    result = CliRunner().invoke(main, ["locks", "--api", api, "--json"])
    assert result.exit_code == 0, result.output
    assert msgspec.json.decode(result.output)[0]["key"] == "cell-7.dmm"

    with EventStore(api) as store:
        [lock] = store.locks()
        assert lock.pid == holder.pid and lock.fencing_token > 0
        broken = store.release_lock("cell-7.dmm", "alice")
        assert broken.station_id == "holder"
        assert store.locks() == []
        with pytest.raises(NotFound, match=r"lock 'cell-7\.dmm' not found"):
            store.release_lock("cell-7.dmm", "alice")

    # The broken holder learns it at its next renewal, before it would touch the instrument.
    for line in holder.stdout:
        if line.startswith("lost"):
            break
    else:
        raise AssertionError("the holder never noticed its lock was broken")

    running_hub.wait_ingested()
    with EventStore(api) as store:
        [session] = store.sessions(station_id="hub")
        [event] = store.events(session_id=session.session_id, event_type="lock.released")
    assert isinstance(event, LockReleased)
    assert (event.key, event.broken_by) == ("cell-7.dmm", "alice")
    assert f"pid {holder.pid}" in event.holder


def test_release_needs_force_and_the_cli_says_so(running_hub: Hub):
    api = running_hub.api_url
    response = httpx.post(f"{api}/api/locks/cell-7.dmm/release", params={"by": "bob"})
    assert response.status_code == 400
    assert response.json()["parameter"] == "force"
    result = CliRunner().invoke(main, ["locks", "release", "cell-7.dmm", "--api", api])
    assert result.exit_code != 0
    assert "add --force" in result.output

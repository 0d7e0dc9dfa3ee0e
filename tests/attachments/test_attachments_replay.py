"""``benchtrail replay``: the attachments table rebuilds from the events; the objects stay."""

from __future__ import annotations

from benchtrail.agents import connect
from benchtrail.api import EventStore
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.queries.attachments import run_attachments
from benchtrail.projector import Warehouse
from benchtrail.projector.replay import replay

from .conftest import read_bucket, sha

CAPTURE = b"scope capture " * 1000


def test_replay_rebuilds_the_attachment_list_and_the_bytes_stay(
    running_hub: Hub, warehouse: Warehouse
):
    with connect("cell-7", hub=running_hub.nats.url) as station, station.run() as run:
        run.attach("scope.bin", CAPTURE)
        run.attach("notes.txt", b"fine")
    running_hub.wait_ingested()
    assert running_hub.warehouse is not None
    live = run_attachments(running_hub.warehouse, run.run_id)

    replay(running_hub.nats.url, warehouse)

    assert run_attachments(warehouse, run.run_id) == live
    assert [a.name for a in live] == ["scope.bin", "notes.txt"]
    assert read_bucket(running_hub.nats.url).objects == {
        sha(CAPTURE): CAPTURE,
        sha(b"fine"): b"fine",
    }
    with EventStore(running_hub.api_url) as store:
        assert store.attachment(run.run_id, "scope.bin") == CAPTURE

"""Retention prunes an attachment's object with the last rows naming it; replay keeps them."""

from __future__ import annotations

import asyncio
import io

import nats

from benchtrail.agents import connect
from benchtrail.agents.publishing.attachments import put_object
from benchtrail.api import EventStore
from benchtrail.api.hub.embedded import Hub
from benchtrail.schemas import (
    MSG_ID_HEADER,
    AttachmentAdded,
    Event,
    RunStarted,
    SessionStarted,
    StationInfo,
    encode_frame,
    event_subject,
    frame_msg_id,
    new_id,
    now_ns,
)

from .conftest import read_bucket, sha

DAY_NS = 86_400 * 10**9
OLD_ONLY = b"a capture nobody recorded since"
SHARED = b"the calibration table every run attaches"


def old_run(at_ns: int) -> tuple[str, list[Event]]:
    """A session 200 days ago whose run attached both blobs."""
    session, run = new_id(), new_id()
    seq = iter(range(1, 10))

    def envelope() -> dict[str, object]:
        return {
            "event_id": new_id(),
            "session_id": session,
            "station_id": "cell-1",
            "seq": next(seq),
            "occurred_at": at_ns,
        }

    def attached(name: str, data: bytes) -> AttachmentAdded:
        return AttachmentAdded(
            **envelope(), run_id=run, name=name, size_bytes=len(data), sha256=sha(data)
        )

    return session, [
        SessionStarted(**envelope(), station=StationInfo(id="cell-1")),
        RunStarted(**envelope(), run_id=run),
        attached("old.bin", OLD_ONLY),
        attached("cal.bin", SHARED),
    ]


def publish_old(url: str, session: str, events: list[Event]) -> None:
    async def send() -> None:
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            for data in (OLD_ONLY, SHARED):
                await put_object(js, sha(data), io.BytesIO(data))
            await js.publish(
                event_subject("cell-1", session),
                encode_frame(events),
                headers={MSG_ID_HEADER: frame_msg_id(session, 1)},
            )
        finally:
            await nc.close()

    asyncio.run(send())


def test_prune_deletes_objects_only_old_runs_named_and_keeps_shared_ones(running_hub: Hub):
    url = running_hub.nats.url
    session, events = old_run(now_ns() - 200 * DAY_NS)
    publish_old(url, session, events)
    with connect("cell-2", hub=url) as station, station.run(dut_serial="SN-NEW") as run:
        run.attach("cal.bin", SHARED)
    running_hub.wait_ingested()
    assert set(read_bucket(url).objects) == {sha(OLD_ONLY), sha(SHARED)}

    with EventStore(running_hub.api_url) as store:
        dry = store.prune("90d", dry_run=True)
        assert dry.attachments == 1 and set(read_bucket(url).objects) == {
            sha(OLD_ONLY),
            sha(SHARED),
        }
        report = store.prune("90d")
        assert report.attachments == 1
        assert "and 1 attachment object(s)" in report.message
        assert read_bucket(url).objects == {sha(SHARED): SHARED}
        assert store.attachment(run.run_id, "cal.bin") == SHARED
        assert store.prune("90d").attachments == 0

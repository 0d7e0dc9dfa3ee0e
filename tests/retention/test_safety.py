"""What a prune must never do: lose a frame the projector has not written, skip an old table."""

from __future__ import annotations

import asyncio
import dataclasses

import nats

from benchtrail.api import EventStore
from benchtrail.api.client.data import DataMethods
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.hub.retention import Pruner
from benchtrail.projector import ProjectorSettings, RowBatch, Warehouse, ensure_streams
from benchtrail.projector.streams import projector_consumer_config
from benchtrail.projector.tables import TABLES
from benchtrail.schemas import EVENTS_STREAM, EVENTS_SUBJECTS

from .history import RecordedSession, days_ago, publish, session_rows, stream_first_seq


def _without_day_partitions(warehouse: Warehouse, table: str) -> None:
    """Make ``table`` as a warehouse created before day partitions has it."""
    legacy = dataclasses.replace(TABLES[table], day_column=None)
    warehouse.command(f"DROP TABLE {warehouse.database}.{table}")
    warehouse.command(legacy.create_statement(warehouse.database))


def test_tables_of_an_older_warehouse_lose_old_rows_by_delete(running_hub: Hub):
    warehouse = running_hub.warehouse
    assert warehouse is not None
    for table in ("sessions", "steps"):
        _without_day_partitions(warehouse, table)
    old, recent = RecordedSession("cell-1", days_ago(100)), RecordedSession("cell-1", days_ago(0))
    publish(running_hub.nats.url, [old, recent])
    running_hub.wait_ingested()
    old_rows, recent_rows = session_rows(warehouse, old), session_rows(warehouse, recent)

    with DataMethods(running_hub.api_url) as client:
        report = client.prune("30d")

    by_table = {entry.table: entry for entry in report.tables}
    for table in ("sessions", "steps"):
        assert by_table[table].method == "delete"
        assert "DELETE" in by_table[table].note
        assert by_table[table].rows == old_rows[table] > 0
    assert by_table["runs"].method == "partitions"
    assert set(session_rows(warehouse, old).values()) == {0}
    assert session_rows(warehouse, recent) == recent_rows
    with EventStore(running_hub.api_url) as store:
        assert [s.session_id for s in store.sessions()] == [recent.session_id]


def test_frames_the_projector_has_not_written_stay_in_the_stream(
    warehouse: Warehouse, hub_url: str
):
    old = [RecordedSession("cell-1", days_ago(400)) for _ in range(3)]
    settings = ProjectorSettings()

    async def scenario() -> tuple[int, int, str, int, int]:
        nc = await nats.connect(hub_url)
        js = nc.jetstream()
        await ensure_streams(js)
        await js.add_consumer(EVENTS_STREAM, projector_consumer_config(settings))
        await asyncio.to_thread(publish, hub_url, old)
        # The rows are in the warehouse, but no frame is acknowledged yet (a crash
        # after the write, before the ack): the stream must keep every frame.
        batch = RowBatch()
        for session in old:
            batch.add_frame(session.events(), stream_seq=session.stream_seq)
        await asyncio.to_thread(warehouse.write, batch)
        pruner = Pruner(warehouse, js)
        unacked = await pruner.prune("90d", dry_run=False)
        assert unacked.stream is not None
        sub = await js.pull_subscribe(EVENTS_SUBJECTS, durable=settings.durable)
        (first,) = await sub.fetch(1)
        await first.ack_sync()
        one_acked = await pruner.prune("90d", dry_run=False)
        assert one_acked.stream is not None
        await nc.close()
        return (
            unacked.stream.messages,
            unacked.stream.kept_from,
            unacked.stream.note,
            one_acked.stream.messages,
            one_acked.stream.ingested_through,
        )

    purged, kept_from, note, purged_after_ack, through = asyncio.run(scenario())
    assert (purged, kept_from) == (0, 1)
    assert note == "frames after sequence 0 are not in the warehouse yet: kept"
    assert (purged_after_ack, through) == (1, 1)
    assert stream_first_seq(hub_url) == 2
    assert set(session_rows(warehouse, old[2]).values()) == {0}  # the warehouse side went

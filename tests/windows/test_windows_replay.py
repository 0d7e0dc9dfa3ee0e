"""Windows are event-sourced: the stream rebuilds the same tables, in any order, gap-free."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable

import msgspec
import nats

from benchtrail.api import Window, WindowClient
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.queries import windows as window_queries
from benchtrail.projector import Projector, ProjectorSettings, RowBatch, Warehouse
from benchtrail.schemas import (
    EVENTS_STREAM,
    MSG_ID_HEADER,
    encode_frame,
    event_subject,
    frame_msg_id,
    from_json,
    new_id,
)
from benchtrail.schemas.events import WindowCreated

from .conftest import T0, Captures, at

WINDOW_TABLES = {
    "files": "file_id, event_id",
    "windows": "window_id, seq",
    "window_devices": "window_id, seq",
    "window_files": "window_id, seq",
}


def record_history(client: WindowClient, captures: Captures) -> list[str]:
    """Windows with every kind of change; one of them deleted. Returns the ids."""
    kept = Window.create(name="kept", device_ids=["cell-7", "SN1"], project="psu", client=client)
    kept.add_file(captures.scope.file_id, at(10), at(20))
    kept.add_files([captures.log.file_id, captures.early.file_id]).remove_file(
        captures.early.file_id
    )
    kept.update(name=None).update(name="renamed").detach_from_device("SN1")
    gone = Window.create(name="gone", device_ids=["cell-8"], client=client)
    gone.add_file(captures.early.file_id).delete()
    return [kept.window_id, gone.window_id]


def table_rows(warehouse: Warehouse, table: str) -> list[dict[str, object]]:
    order = WINDOW_TABLES[table]
    return warehouse.rows(f"SELECT * FROM {warehouse.database}.{table} FINAL ORDER BY {order}")


def replay(hub: Hub, warehouse: Warehouse) -> None:
    """A second projector, with a consumer of its own, projects the stream into ``warehouse``."""

    async def run() -> None:
        nc = await nats.connect(hub.nats.url, **hub.access.hub.connect_options())  # type: ignore[arg-type]
        last = (await nc.jetstream().stream_info(EVENTS_STREAM)).state.last_seq
        await nc.close()
        settings = ProjectorSettings(
            durable=f"bt-replay-{uuid.uuid4().hex[:8]}", batch_max_wait=0.05, fetch_timeout=0.05
        )
        projector = Projector(warehouse, hub.nats.url, settings=settings, access=hub.access.hub)
        async with projector:
            await projector.wait_until_ingested(last, timeout=30)

    asyncio.run(run())


def test_replaying_the_stream_rebuilds_the_same_window_tables(
    running_hub: Hub, client: WindowClient, captures: Captures, warehouse: Warehouse
):
    ids = record_history(client, captures)
    running_hub.wait_ingested()
    live = running_hub.warehouse
    assert live is not None

    replay(running_hub, warehouse)

    for table in WINDOW_TABLES:
        assert table_rows(warehouse, table) == table_rows(live, table), table
    assert table_rows(warehouse, "window_files")  # the history is really there
    assert window_queries.window_views(warehouse, ids) == window_queries.window_views(live, ids)
    assert window_queries.window_topics(warehouse, ids[0]) == window_queries.window_topics(
        live, ids[0]
    )
    (kept,) = window_queries.window_views(warehouse, ids)  # the deleted one stays deleted
    assert (kept.name, kept.device_ids) == ("renamed", ["cell-7"])
    assert (kept.min_timestamp_ns, kept.max_timestamp_ns) == (at(10), at(300))


def test_state_does_not_depend_on_the_order_rows_arrive_in(
    running_hub: Hub, client: WindowClient, captures: Captures, warehouse: Warehouse
):
    ids = record_history(client, captures)
    running_hub.wait_ingested()
    live = running_hub.warehouse
    assert live is not None
    payloads = live.rows(
        f"SELECT payload, stream_seq FROM {live.database}.events FINAL ORDER BY stream_seq, seq"
    )

    for row in reversed(payloads):  # newest first, one insert each
        batch = RowBatch()
        batch.add(from_json(row["payload"]), row["stream_seq"])
        warehouse.write(batch)

    assert window_queries.window_views(warehouse, ids) == window_queries.window_views(live, ids)
    assert window_queries.window_files(warehouse, ids[0]) == window_queries.window_files(
        live, ids[0]
    )


def test_concurrent_changes_to_one_window_are_serialised_gap_free(
    running_hub: Hub, client: WindowClient, operator_token: Callable[[str], str]
):
    window = Window.create(name="busy", client=client)
    devices = [f"dut-{i}" for i in range(12)]
    tokens = {device_id: operator_token(device_id) for device_id in devices}
    errors: list[BaseException] = []

    def attach(device_id: str) -> None:
        try:
            with WindowClient(running_hub.api_url, token=tokens[device_id]) as own:
                Window.from_id(window.window_id, client=own).attach_to_device(device_id)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=attach, args=(d,)) for d in devices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert window.refresh().device_ids == sorted(devices)
    assert window.modified_by in devices
    live = running_hub.warehouse
    assert live is not None
    seqs = live.rows(
        f"SELECT seq, station_id FROM {live.database}.events FINAL"
        " WHERE session_id = {w:String} ORDER BY seq",
        {"w": window.window_id},
    )
    assert [row["seq"] for row in seqs] == list(range(1, len(devices) + 2))
    assert {row["station_id"] for row in seqs} == {"api"}


def test_a_window_recorded_before_the_api_started_continues_its_seq(
    running_hub: Hub, client: WindowClient
):
    window_id = new_id()
    created = WindowCreated(
        event_id=new_id(),
        session_id=window_id,
        station_id="api",
        seq=1,
        occurred_at=T0,
        name="from the stream",
        by="earlier-hub",
    )

    async def publish() -> None:
        access = running_hub.access.hub.connect_options()
        nc = await nats.connect(running_hub.nats.url, **access)  # type: ignore[arg-type]
        await nc.jetstream().publish(
            event_subject("api", window_id),
            encode_frame([created]),
            headers={MSG_ID_HEADER: frame_msg_id(window_id, 1)},
        )
        await nc.close()

    asyncio.run(publish())

    # No waiting here: the API itself waits for the stream to be ingested to learn the seq.
    window = Window(client.attach_device(window_id, "cell-7"), client)

    assert (window.name, window.created_by, window.modified_by) == (
        "from the stream",
        "earlier-hub",
        "alice",
    )
    assert window.device_ids == ["cell-7"]
    live = running_hub.warehouse
    assert live is not None
    events = live.rows(
        f"SELECT seq, type FROM {live.database}.events FINAL"
        " WHERE session_id = {w:String} ORDER BY seq",
        {"w": window_id},
    )
    assert [(e["seq"], e["type"]) for e in events] == [
        (1, "window.created"),
        (2, "device.attached"),
    ]
    assert (
        msgspec.json.decode(
            live.scalar(
                f"SELECT payload FROM {live.database}.events FINAL"
                " WHERE session_id = {w:String} AND seq = 2",
                {"w": window_id},
            )
        )["by"]
        == "alice"
    )

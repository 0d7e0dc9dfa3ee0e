"""A registered file's bytes: uploaded raw into the hub's object store, read back exactly."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import nats
import pytest

from benchtrail.agents.publishing.attachments import put_object
from benchtrail.api import EventStore, NotFound, Window, WindowClient
from benchtrail.api.hub.access import token_store
from benchtrail.api.hub.attachment_store import ATTACHMENTS_STREAM
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.hub.http_server import BoundedH11Protocol
from benchtrail.api.hub.windows.content import MAX_FILE_BYTES
from benchtrail.api.queries import windows as window_queries
from benchtrail.projector import Warehouse
from benchtrail.schemas import (
    ATTACHMENTS_BUCKET,
    MSG_ID_HEADER,
    AttachmentAdded,
    encode_frame,
    event_subject,
    frame_msg_id,
    new_id,
    now_ns,
)

from .conftest import T0, Captures, at
from .test_windows_replay import replay

MIB = 1024 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bucket(hub: Hub) -> tuple[set[str], int]:
    """The live object names of ``bt_attachments`` and how many messages its stream holds."""

    async def read() -> tuple[set[str], int]:
        nc = await nats.connect(hub.nats.url, **hub.access.hub.connect_options())  # type: ignore[arg-type]
        try:
            js = nc.jetstream()
            store = await js.object_store(ATTACHMENTS_BUCKET)
            try:
                names = {info.name for info in await store.list() if not info.deleted}
            except nats.js.errors.NotFoundError:
                names = set()
            return names, (await js.stream_info(ATTACHMENTS_STREAM)).state.messages
        finally:
            await nc.close()

    return asyncio.run(read())


@pytest.fixture
def raw(running_hub: Hub, operator_token: Callable[[str], str]) -> Iterator[httpx.Client]:
    """Plain HTTP to the hub's API as an operator."""
    headers = {"Authorization": f"Bearer {operator_token('bob')}"}
    with httpx.Client(base_url=running_hub.api_url, headers=headers, timeout=60) as http:
        yield http


def test_uploaded_bytes_come_back_exactly_with_their_sha256(
    running_hub: Hub, client: WindowClient, captures: Captures, raw: httpx.Client
) -> None:
    file_id = captures.scope.file_id
    with pytest.raises(NotFound):
        client.file_content(file_id)
    assert client.file(file_id).content is None
    data = os.urandom(3 * MIB + 17)  # three times the API's JSON body limit

    view = client.upload_file(file_id, data)

    assert view.content is not None
    assert (view.content.size_bytes, view.content.sha256) == (len(data), sha(data))
    assert view.content.mimetype == "application/octet-stream"  # as registered
    assert client.file_content(file_id) == data
    assert client.file(file_id).content == view.content
    window = Window.create(name="w", client=client).add_file(file_id)
    contributions = {f.file_id: f.content for f in client.files(window.window_id)}
    assert contributions == {file_id: view.content}

    answer = raw.get(f"/api/files/{file_id}/content")
    assert answer.content == data
    assert answer.headers["content-security-policy"].startswith("sandbox")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-disposition"] == "attachment; filename*=UTF-8''ch1-ch2.bin"


def test_the_same_bytes_are_stored_once_and_a_path_is_streamed(
    running_hub: Hub, client: WindowClient, captures: Captures, tmp_path: Path
) -> None:
    data = b"2025-10-09 08:53:20 alarm raised\n" * 1000
    log_file = tmp_path / "station.log"
    log_file.write_bytes(data)

    first = client.upload_file(captures.log.file_id, log_file, mimetype="text/plain")
    names, messages = bucket(running_hub)
    second = client.upload_file(captures.early.file_id, data)

    assert first.content is not None and second.content is not None
    assert first.content.sha256 == second.content.sha256 == sha(data)
    assert first.content.mimetype == "text/plain"
    assert bucket(running_hub) == (names, messages) == ({sha(data)}, messages)
    assert client.file_content(captures.early.file_id) == data


def test_register_file_with_content_uploads_it(client: WindowClient) -> None:
    view = client.register_file(
        dataset_id="run-44",
        path="csv/trace.csv",
        media_type="text/csv",
        start_ns=T0,
        end_ns=at(1),
        content=b"t,v\n1,2\n",
    )
    assert view.content is not None and view.content.mimetype == "text/csv"
    assert client.file_content(view.file_id) == b"t,v\n1,2\n"


def test_more_than_64_mib_is_refused_with_413_and_nothing_is_stored(
    running_hub: Hub, captures: Captures, raw: httpx.Client, client: WindowClient
) -> None:
    path = f"/api/files/{captures.scope.file_id}/content"
    octet = {"Content-Type": "application/octet-stream"}
    before = bucket(running_hub)
    announced = raw.put(path, content=b"\0" * (MAX_FILE_BYTES + 1), headers=octet)

    def unannounced() -> Iterator[bytes]:  # chunked: the size shows only as the bytes arrive
        for _ in range(MAX_FILE_BYTES // MIB + 1):
            yield b"\1" * MIB

    streamed = raw.put(path, content=unannounced(), headers=octet)

    for answer in (announced, streamed):
        assert answer.status_code == 413, answer.text
        body = answer.json()
        assert body["error"] == "too_large" and body["limit"] == "max_file_bytes"
        assert str(MAX_FILE_BYTES) in body["detail"]
    assert bucket(running_hub) == before
    assert client.file(captures.scope.file_id).content is None


def test_only_the_upload_takes_a_raw_body_and_only_as_octet_stream(
    captures: Captures, raw: httpx.Client
) -> None:
    file_id = captures.scope.file_id
    json_upload = raw.put(f"/api/files/{file_id}/content", json={"data": "x"})
    octet = {"Content-Type": "application/octet-stream"}
    octet_register = raw.post("/api/files", content=b"{}", headers=octet)
    octet_window = raw.post("/api/windows", content=b'{"name": "w"}', headers=octet)
    for answer in (json_upload, octet_register, octet_window):
        assert answer.status_code == 415, answer.text
        assert answer.json()["error"] == "unsupported_media_type"
    unknown = raw.put("/api/files/no-such-file/content", content=b"x", headers=octet)
    assert unknown.status_code == 404 and unknown.json()["kind"] == "file"


def test_a_viewer_cannot_upload(running_hub: Hub, captures: Captures) -> None:
    viewer = token_store(running_hub.data_dir).create("carol", "viewer").token
    path = f"/api/files/{captures.scope.file_id}/content"
    octet = {"Content-Type": "application/octet-stream"}
    with httpx.Client(base_url=running_hub.api_url) as http:
        assert http.put(path, content=b"x", headers=octet).status_code == 401
        as_viewer = {**octet, "Authorization": f"Bearer {viewer}"}
        assert http.put(path, content=b"x", headers=as_viewer).status_code == 403


DAY_NS = 86_400 * 10**9
OLD = b"a capture uploaded long ago"
SHARED = b"the calibration table of every bench"


def publish_old_uploads(hub: Hub, uploads: dict[str, bytes], at_ns: int) -> None:
    """Objects, and the events of their uploads ``at_ns`` (as the hub records them)."""
    session = new_id()
    events = [
        AttachmentAdded(
            event_id=new_id(),
            session_id=session,
            station_id="api",
            seq=seq,
            occurred_at=at_ns,
            run_id="",
            name=file_id,
            size_bytes=len(data),
            sha256=sha(data),
        )
        for seq, (file_id, data) in enumerate(uploads.items(), start=1)
    ]

    async def send() -> None:
        nc = await nats.connect(hub.nats.url, **hub.access.hub.connect_options())  # type: ignore[arg-type]
        try:
            js = nc.jetstream()
            for data in set(uploads.values()):
                await put_object(js, sha(data), io.BytesIO(data))
            await js.publish(
                event_subject("api", session),
                encode_frame(events),
                headers={MSG_ID_HEADER: frame_msg_id(session, 1)},
            )
        finally:
            await nc.close()

    asyncio.run(send())


def test_retention_prunes_contents_uploaded_before_the_cut_and_keeps_shared_bytes(
    running_hub: Hub, client: WindowClient, captures: Captures
) -> None:
    old = {captures.scope.file_id: OLD, captures.early.file_id: SHARED}
    publish_old_uploads(running_hub, old, now_ns() - 200 * DAY_NS)
    client.upload_file(captures.log.file_id, SHARED)
    running_hub.wait_ingested()
    assert client.file_content(captures.scope.file_id) == OLD
    assert bucket(running_hub)[0] == {sha(OLD), sha(SHARED)}
    admin = token_store(running_hub.data_dir).create("root", "admin").token

    with EventStore(running_hub.api_url, token=admin) as store:
        report = store.prune("90d")

    assert report.attachments == 1
    assert bucket(running_hub)[0] == {sha(SHARED)}
    assert client.file(captures.scope.file_id).content is None
    assert client.file(captures.early.file_id).content is None
    assert client.file_content(captures.log.file_id) == SHARED


def test_replay_rebuilds_the_contents_and_the_bytes_stay(
    running_hub: Hub, client: WindowClient, captures: Captures, warehouse: Warehouse
) -> None:
    data = os.urandom(300_000)
    client.upload_file(captures.scope.file_id, data, mimetype="image/png")
    running_hub.wait_ingested()
    live = running_hub.warehouse
    assert live is not None

    replay(running_hub, warehouse)

    file_id = captures.scope.file_id
    assert window_queries.get_file(warehouse, file_id) == window_queries.get_file(live, file_id)
    content = window_queries.get_file(warehouse, file_id).content
    assert content is not None and (content.sha256, content.mimetype) == (sha(data), "image/png")
    assert client.file_content(file_id) == data


def test_an_upload_slower_than_the_read_timeout_but_over_1_mb_per_s_goes_through(
    captures: Captures, raw: httpx.Client, client: WindowClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(BoundedH11Protocol, "read_timeout_s", 0.5)
    blocks = [os.urandom(100_000) for _ in range(15)]

    def slowly() -> Iterator[bytes]:  # 1.5 MB in 1.5 s: three read timeouts long
        for block in blocks:
            time.sleep(0.1)
            yield block

    answer = raw.put(
        f"/api/files/{captures.scope.file_id}/content",
        content=slowly(),
        headers={"Content-Type": "application/octet-stream"},
    )

    assert answer.status_code == 200, answer.text
    assert client.file_content(captures.scope.file_id) == b"".join(blocks)

"""A registered file's bytes: uploaded raw into the hub's object store, read back exactly."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import nats
import pytest

from benchtrail.api import NotFound, Window, WindowClient
from benchtrail.api.hub.access import token_store
from benchtrail.api.hub.attachment_store import ATTACHMENTS_STREAM
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.hub.windows.content import MAX_FILE_BYTES
from benchtrail.schemas import ATTACHMENTS_BUCKET

from .conftest import T0, Captures, at

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

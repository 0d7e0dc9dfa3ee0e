"""Attachments through a hub with auth: stored by a station, listed, read and saved by a viewer."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import nats
import nats.errors
import pytest
from click.testing import CliRunner

from benchtrail.agents import connect
from benchtrail.api import EventStore
from benchtrail.api.errors import NotFound
from benchtrail.api.hub.access import token_store
from benchtrail.api.hub.attachment_store import ATTACHMENTS_STREAM
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.hub.identity import StationRegistry, credentials_path
from benchtrail.cli import main
from benchtrail.schemas import ATTACHMENTS_BUCKET, NatsAccess

from .conftest import sha

PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(200_000)
LOG = b"line 1\nline 2\n"


@pytest.fixture
def auth_hub(start_hub: Callable[..., AbstractContextManager[Hub]]) -> Iterator[Hub]:
    with start_hub(auth=True) as hub:
        yield hub


@pytest.fixture
def credentials(auth_hub: Hub) -> Path:
    registry = StationRegistry(auth_hub.data_dir)
    path = registry.add("cell-7").write(credentials_path(auth_hub.data_dir, "cell-7"))
    auth_hub.nats.reload()
    return path


@pytest.fixture
def viewer(auth_hub: Hub) -> str:
    return token_store(auth_hub.data_dir).create("reader", "viewer").token


@pytest.fixture
def attached_run(auth_hub: Hub, credentials: Path) -> str:
    url = auth_hub.nats.url
    with (
        connect("cell-7", hub=url, credentials=str(credentials)) as station,
        station.run(dut_serial="SN-1") as run,
    ):
        run.attach("eye.png", PNG)
        run.attach("console.log", LOG, "text/plain")
    auth_hub.wait_ingested()
    return run.run_id


def test_a_viewer_lists_reads_and_saves_a_runs_attachments(
    auth_hub: Hub, attached_run: str, viewer: str, tmp_path: Path
):
    with EventStore(auth_hub.api_url, token=viewer) as store:
        listed = store.attachments(attached_run)
        assert [(a.name, a.size, a.sha256, a.mimetype) for a in listed] == [
            ("eye.png", len(PNG), sha(PNG), "image/png"),
            ("console.log", len(LOG), sha(LOG), "text/plain"),
        ]
        assert store.attachment(attached_run, "eye.png") == PNG
        with pytest.raises(NotFound, match=r"attachment 'nope\.bin' not found"):
            store.attachment(attached_run, "nope.bin")
        with pytest.raises(NotFound, match="run 'no-such-run' not found"):
            store.attachments("no-such-run")

    headers = {"Authorization": f"Bearer {viewer}"}
    response = httpx.get(f"{auth_hub.api_url}/api/runs/{attached_run}/attachments/eye.png")
    assert response.status_code == 401  # no token, no bytes
    response = httpx.get(
        f"{auth_hub.api_url}/api/runs/{attached_run}/attachments/console.log", headers=headers
    )
    assert response.content == LOG
    assert response.headers["content-type"].startswith("text/plain")
    assert "sandbox" in response.headers["content-security-policy"]

    target = tmp_path / "saved"
    result = CliRunner().invoke(
        main,
        ["run", attached_run, "--attachments", str(target), "--api", auth_hub.api_url],
        env={"BENCHTRAIL_TOKEN": viewer},
    )
    assert result.exit_code == 0, result.output
    assert "saved 2 attachment(s)" in result.output
    assert (target / "eye.png").read_bytes() == PNG
    assert (target / "console.log").read_bytes() == LOG


async def _station_tries(hub: Hub, credentials: Path) -> list[str]:
    """What a station's credentials refuse on the attachment store (what it may not do)."""
    refused: list[str] = []
    access = NatsAccess.of("cell-7", str(credentials))

    async def on_error(e: Exception) -> None:
        pass  # the refusals come as async permission errors; the calls time out

    nc = await nats.connect(hub.nats.url, error_cb=on_error, **access.connect_options())
    js = nc.jetstream(timeout=1.0)
    attempts = {
        "purge": js.purge_stream(ATTACHMENTS_STREAM),
        "delete": js.delete_stream(ATTACHMENTS_STREAM),
        "read chunks": js.subscribe(f"$O.{ATTACHMENTS_BUCKET}.C.>", ordered_consumer=True),
    }
    for what, attempt in attempts.items():
        try:
            await attempt
        except (TimeoutError, nats.errors.Error):
            refused.append(what)
    await nc.close()
    return refused


def test_a_station_may_store_objects_but_not_purge_delete_or_read_them(
    auth_hub: Hub, attached_run: str, credentials: Path, viewer: str
):
    refused = asyncio.run(_station_tries(auth_hub, credentials))
    assert refused == ["purge", "delete", "read chunks"]
    with EventStore(auth_hub.api_url, token=viewer) as store:
        assert store.attachment(attached_run, "eye.png") == PNG  # still there

"""Fixtures for attachment tests: a nats-server with the streams and the attachment store."""

from __future__ import annotations

import asyncio
import hashlib

import msgspec
import nats
import pytest
from nats.js.errors import NotFoundError

from benchtrail.api.hub.attachment_store import ATTACHMENTS_STREAM, ensure_attachments_bucket
from benchtrail.projector.streams import ensure_streams
from benchtrail.schemas import (
    ATTACHMENTS_BUCKET,
    EVENTS_STREAM,
    EventUnion,
    decode_frame,
    expand_events,
)


class Bucket(msgspec.Struct):
    """What the attachment store holds: objects by name, and how many messages in all."""

    objects: dict[str, bytes]
    messages: int


async def _ensure(url: str) -> None:
    nc = await nats.connect(url)
    try:
        await ensure_streams(nc.jetstream())
        await ensure_attachments_bucket(nc.jetstream())
    finally:
        await nc.close()


async def _bucket(url: str) -> Bucket:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        store = await js.object_store(ATTACHMENTS_BUCKET)
        try:
            infos = await store.list()
        except NotFoundError:  # no object at all
            infos = []
        live = [info for info in infos if not info.deleted]
        objects = {info.name: (await store.get(info.name)).data or b"" for info in live}
        messages = (await js.stream_info(ATTACHMENTS_STREAM)).state.messages
        return Bucket(objects, messages)
    finally:
        await nc.close()


async def _events(url: str) -> list[EventUnion]:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        total = (await js.stream_info(EVENTS_STREAM)).state.messages
        return [
            event
            for seq in range(1, total + 1)
            for event in expand_events(
                decode_frame((await js.get_msg(EVENTS_STREAM, seq)).data or b"")
            )
        ]
    finally:
        await nc.close()


@pytest.fixture
def hub(hub_url: str) -> str:
    """URL of a real nats-server with BT_EVENTS, BT_DEAD and the bt_attachments store."""
    asyncio.run(_ensure(hub_url))
    return hub_url


def read_bucket(url: str) -> Bucket:
    """Every object of the hub's attachment store (read with nats-py's own object store)."""
    return asyncio.run(_bucket(url))


def read_events(url: str) -> list[EventUnion]:
    """Every event in BT_EVENTS."""
    return asyncio.run(_events(url))


def sha(data: bytes) -> str:
    """Hex sha256."""
    return hashlib.sha256(data).hexdigest()

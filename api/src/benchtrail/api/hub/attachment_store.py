"""The hub's ``bt_attachments`` object store: created at start, read for HTTP, pruned.

Stations write objects named by their sha256 (hex) (see
:mod:`benchtrail.agents.publishing.attachments`); the hub creates the bucket
(``benchtrail up``, and :class:`~benchtrail.api.hub.upkeep.HubUpkeep` when it went
missing), streams an object's chunks to an HTTP response checking its digest, and
deletes the objects retention no longer keeps a reference to.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from datetime import UTC, datetime
from hashlib import sha256

from nats.js import JetStreamContext
from nats.js.api import (
    DiscardPolicy,
    ObjectInfo,
    ObjectMetaOptions,
    PubAck,
    StorageType,
    StreamConfig,
    StreamInfo,
)
from nats.js.errors import NotFoundError, ObjectNotFoundError

from benchtrail.agents.publishing.attachments import (
    CHUNK_BYTES,
    is_stored,
    nats_digest,
    object_meta_subject,
)
from benchtrail.api.errors import AttachmentMissing, FileTooLarge
from benchtrail.projector.streams import ensure_stream
from benchtrail.schemas import ATTACHMENTS_BUCKET

__all__ = [
    "ATTACHMENTS_STREAM",
    "attachments_stream_config",
    "delete_objects",
    "ensure_attachments_bucket",
    "object_chunks",
    "store_stream",
]

log = logging.getLogger(__name__)

ATTACHMENTS_STREAM = f"OBJ_{ATTACHMENTS_BUCKET}"
"""The JetStream stream behind the bucket."""
_CHUNK_WAIT_S = 10.0
_ACKS_IN_FLIGHT = 32


def attachments_stream_config(replicas: int = 1) -> StreamConfig:
    """The bucket's stream, as nats-py's ``create_object_store`` makes it (file storage)."""
    return StreamConfig(
        name=ATTACHMENTS_STREAM,
        description="benchtrail run attachments, named by sha256",
        subjects=[f"$O.{ATTACHMENTS_BUCKET}.C.>", f"$O.{ATTACHMENTS_BUCKET}.M.>"],
        max_bytes=-1,
        max_consumers=0,
        storage=StorageType.FILE,
        num_replicas=replicas,
        discard=DiscardPolicy.NEW,
        allow_rollup_hdrs=True,
        allow_direct=True,
    )


async def ensure_attachments_bucket(js: JetStreamContext, replicas: int = 1) -> StreamInfo:
    """Create the bucket if it is missing (an existing one is kept as it is)."""
    return await ensure_stream(js, attachments_stream_config(replicas), update=False)


def _meta_subject(digest: str) -> str:
    return f"$O.{ATTACHMENTS_BUCKET}.M.{base64.urlsafe_b64encode(digest.encode()).decode()}"


async def object_chunks(js: JetStreamContext, digest: str, size: int) -> AsyncIterator[bytes]:
    """The bytes of the object ``digest``, chunk by chunk, checked against the digest.

    The object is looked up here (a missing one raises before anything is sent); its
    bytes are read as the iterator is consumed.

    Raises:
        AttachmentMissing: the bucket does not hold it (or holds another size under it).
    """
    try:
        msg = await js.get_last_msg(ATTACHMENTS_STREAM, _meta_subject(digest))
    except NotFoundError as e:
        raise AttachmentMissing(digest) from e
    info = json.loads(msg.data or b"{}")
    if info.get("deleted") or int(info.get("size", -1)) != size:
        raise AttachmentMissing(digest)
    return _chunks(js, str(info["nuid"]), digest, size)


async def _chunks(js: JetStreamContext, nuid: str, digest: str, size: int) -> AsyncIterator[bytes]:
    if size == 0:
        return
    subject = f"$O.{ATTACHMENTS_BUCKET}.C.{nuid}"
    sub = await js.subscribe(subject, ordered_consumer=True)
    check = sha256()
    try:
        while True:
            msg = await sub.next_msg(timeout=_CHUNK_WAIT_S)
            check.update(msg.data)
            yield msg.data
            if msg.metadata.num_pending == 0:
                break
    finally:
        await sub.unsubscribe()
    if check.hexdigest() != digest:
        log.error("attachment object %s holds bytes of another digest", digest)
        raise AttachmentMissing(digest)


async def delete_objects(js: JetStreamContext, digests: Iterable[str]) -> int:
    """Delete these objects from the bucket; return how many were there."""
    digests = list(digests)
    if not digests:
        return 0
    store = await js.object_store(ATTACHMENTS_BUCKET)
    deleted = 0
    for digest in digests:
        try:
            await store.delete(digest)
        except ObjectNotFoundError:
            continue
        deleted += 1
    return deleted


async def store_stream(
    js: JetStreamContext,
    blocks: AsyncIterable[bytes],
    max_bytes: int,
    timeout: float = 30.0,  # noqa: ASYNC109
) -> tuple[str, int]:
    """Store bytes arriving in ``blocks`` as one object named by their sha256.

    The bytes go to the bucket chunk by chunk as they arrive (at most
    ``_ACKS_IN_FLIGHT`` chunks unacknowledged), hashed on the way; the meta that
    names the object is written last, so a half-stored object is never visible.
    Bytes the bucket already holds are not kept twice: their new chunks are purged.

    Returns:
        The sha256 (hex) and the size of the bytes.

    Raises:
        FileTooLarge: more than ``max_bytes`` bytes arrived (nothing is kept).
    """
    subject = f"$O.{ATTACHMENTS_BUCKET}.C.{uuid.uuid4().hex}"
    check = sha256()
    acks: list[asyncio.Future[PubAck]] = []
    pending = bytearray()
    size = chunks = 0
    try:
        async for block in blocks:
            size += len(block)
            if size > max_bytes:
                raise FileTooLarge(size, max_bytes)
            check.update(block)
            pending += block
            while len(pending) >= CHUNK_BYTES:
                acks.append(await js.publish_async(subject, bytes(pending[:CHUNK_BYTES])))
                del pending[:CHUNK_BYTES]
                chunks += 1
                if len(acks) >= _ACKS_IN_FLIGHT:
                    await asyncio.wait_for(asyncio.gather(*acks), timeout)
                    acks.clear()
        if pending:
            acks.append(await js.publish_async(subject, bytes(pending)))
            chunks += 1
        await asyncio.wait_for(asyncio.gather(*acks), timeout)
    except BaseException:
        await _purge(js, subject, acks, timeout)
        raise
    digest = check.hexdigest()
    if await is_stored(js, digest):
        await _purge(js, subject, acks, timeout)  # the same bytes are stored once
        return digest, size
    info = ObjectInfo(
        name=digest,
        bucket=ATTACHMENTS_BUCKET,
        nuid=subject.rsplit(".", 1)[1],
        size=size,
        chunks=chunks,
        digest=nats_digest(digest),
        mtime=datetime.now(UTC).isoformat(),
        options=ObjectMetaOptions(max_chunk_size=CHUNK_BYTES),
    )
    meta = json.dumps(info.as_dict()).encode()
    await js.publish(
        object_meta_subject(digest), meta, timeout=timeout, headers={"Nats-Rollup": "sub"}
    )
    return digest, size


async def _purge(
    js: JetStreamContext,
    subject: str,
    acks: list[asyncio.Future[PubAck]],
    timeout: float,  # noqa: ASYNC109
) -> None:
    """Remove the chunks published on ``subject``, once those in flight have landed."""
    try:
        await asyncio.wait_for(asyncio.gather(*acks, return_exceptions=True), timeout)
        await js.purge_stream(ATTACHMENTS_STREAM, subject=subject)
    except Exception:  # the chunks stay unreferenced; nothing reads them
        log.exception("could not purge the chunks on %s", subject)

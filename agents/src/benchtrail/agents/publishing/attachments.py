"""Attachments waiting for the hub: bytes spooled beside the outbox until the object store has them.

:meth:`AttachmentSpool.add` copies an attachment's bytes to
``<station outbox dir>/attachments/<sha256>.blob`` (a temporary name, then renamed;
fsynced first with the outbox's ``sync: full``) *before* the ``attachment.added`` event
naming it is recorded. The sender stores every spooled attachment in the hub's
``bt_attachments`` object store before it publishes any frame (:func:`store_spooled`),
so the event never reaches the hub before its bytes, and a hub outage loses nothing: the
spooled file is removed only once the object store holds that digest. Files left by a
process that died are stored by the station's next publisher. Without an outbox the
bytes wait in memory.

Objects are named by their sha256 (hex), so an attachment recorded twice is stored
once. They are written chunk by chunk as nats-py's ``ObjectStore.put`` writes them
(``$O.<bucket>.C.<nuid>`` then the meta on ``$O.<bucket>.M.<name>``), so any NATS
client reads them; unlike ``put`` this never purges the stream, which a station's
credentials do not allow.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path

from nats.js.api import ObjectInfo, ObjectMetaOptions, PubAck
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from benchtrail.agents.errors import SpoolAltered
from benchtrail.agents.publishing.outboxes import OutboxSet
from benchtrail.schemas import ATTACHMENTS_BUCKET

__all__ = [
    "CHUNK_BYTES",
    "AttachmentSpool",
    "object_meta_subject",
    "store_spooled",
]

log = logging.getLogger(__name__)

CHUNK_BYTES = 128 * 1024
"""Bytes per object-store chunk (nats-py's default)."""
_SUFFIX = ".blob"
_STREAM = f"OBJ_{ATTACHMENTS_BUCKET}"
_COPY_BYTES = 1 << 20


def object_meta_subject(digest: str, bucket: str = ATTACHMENTS_BUCKET) -> str:
    """The subject of an object's meta message (its name, base64url-encoded)."""
    return f"$O.{bucket}.M.{base64.urlsafe_b64encode(digest.encode()).decode()}"


def nats_digest(digest: str) -> str:
    """A hex sha256 in the object store's own form (``SHA-256=<base64url>``)."""
    return "SHA-256=" + base64.urlsafe_b64encode(bytes.fromhex(digest)).decode()


class AttachmentSpool:
    """Attachments recorded and not yet in the hub's object store.

    Args:
        directory: where the bytes wait (``None``: in memory, lost if the process dies).
        fsync: flush each spooled file to the disk before the call returns (the outbox's
            ``sync: full``, surviving a power loss); without it a spooled file survives a
            kill of the process, as the outbox's frames do with ``sync: normal``.
    """

    def __init__(self, directory: Path | None, *, fsync: bool = False) -> None:
        self.directory = directory
        self.fsync = fsync
        self._lock = threading.Lock()
        self._memory: dict[str, bytes] = {}
        self._pending: set[str] = set()
        if directory is not None and directory.is_dir():
            self._pending.update(p.name.removesuffix(_SUFFIX) for p in directory.glob("*.blob"))

    @classmethod
    def of_outbox(cls, outboxes: OutboxSet) -> AttachmentSpool:
        """The spool of a station's outbox: ``attachments/`` in its directory (or memory)."""
        enabled = outboxes.config.enabled and outboxes.station_id
        directory = outboxes.directory / "attachments" if enabled else None
        return cls(directory, fsync=outboxes.config.sync == "full")

    @property
    def pending(self) -> bool:
        """Whether some attachment waits for the object store."""
        return bool(self._pending)

    def waiting(self) -> list[str]:
        """The digests waiting for the object store."""
        with self._lock:
            return sorted(self._pending)

    def add(self, source: bytes | Path) -> tuple[str, int]:
        """Keep these bytes (or the file's) until the object store has them.

        Returns:
            The sha256 (hex) and the size of exactly the bytes kept.
        """
        if self.directory is None or isinstance(source, bytes):
            data = source if isinstance(source, bytes) else source.read_bytes()
            digest = sha256(data).hexdigest()
            with self._lock:
                if digest not in self._pending:
                    if self.directory is None:
                        self._memory[digest] = data
                    else:
                        self._write(digest, [data])
                    self._pending.add(digest)
            return digest, len(data)
        return self._copy(source)

    def _copy(self, source: Path) -> tuple[str, int]:
        """Copy a file into the spool, hashing what is copied."""
        assert self.directory is not None
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = self.directory / f".{uuid.uuid4().hex}.tmp"
        check, size = sha256(), 0
        try:
            with temporary.open("wb") as out, source.open("rb") as src:
                while block := src.read(_COPY_BYTES):
                    check.update(block)
                    out.write(block)
                    size += len(block)
                out.flush()
                if self.fsync:
                    os.fsync(out.fileno())
            digest = check.hexdigest()
            with self._lock:
                temporary.replace(self.directory / f"{digest}{_SUFFIX}")
                self._pending.add(digest)
        finally:
            temporary.unlink(missing_ok=True)
        return digest, size

    def _write(self, digest: str, blocks: list[bytes]) -> None:
        assert self.directory is not None
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"{digest}{_SUFFIX}"
        if final.exists():
            return
        temporary = self.directory / f".{uuid.uuid4().hex}.tmp"
        try:
            with temporary.open("wb") as out:
                for block in blocks:
                    out.write(block)
                out.flush()
                if self.fsync:
                    os.fsync(out.fileno())
            temporary.replace(final)
        finally:
            temporary.unlink(missing_ok=True)

    @contextlib.contextmanager
    def open(self, digest: str) -> Iterator[io.BufferedIOBase]:
        """The spooled bytes of ``digest``, to read."""
        if self.directory is None:
            yield io.BytesIO(self._memory[digest])
            return
        with (self.directory / f"{digest}{_SUFFIX}").open("rb") as blob:
            yield blob

    def done(self, digest: str) -> None:
        """The object store holds ``digest``: forget its bytes."""
        with self._lock:
            self._pending.discard(digest)
            self._memory.pop(digest, None)
            if self.directory is not None:
                (self.directory / f"{digest}{_SUFFIX}").unlink(missing_ok=True)


async def store_spooled(js: JetStreamContext, spool: AttachmentSpool, timeout: float) -> int:  # noqa: ASYNC109
    """Store every spooled attachment the hub does not have yet; return how many were sent.

    ``timeout`` bounds the wait for the acknowledgements of one attachment's chunks.

    A spooled file that vanished, or whose bytes no longer have its digest, cannot ever
    be stored: it is logged as an error and given up, so that it never holds back the
    station's events.

    Raises:
        nats.errors.Error, OSError, TimeoutError: the hub did not take one (it stays spooled).
    """
    sent = 0
    for digest in spool.waiting():
        if not await is_stored(js, digest):
            try:
                with spool.open(digest) as blob:
                    await put_object(js, digest, blob, timeout=timeout)
            except (FileNotFoundError, SpoolAltered) as e:
                log.error("attachment %s cannot be stored and is given up: %s", digest, e)
            else:
                sent += 1
        spool.done(digest)
    return sent


async def is_stored(js: JetStreamContext, digest: str) -> bool:
    """Whether the object store holds the object ``digest`` with that digest."""
    try:
        msg = await js.get_last_msg(_STREAM, object_meta_subject(digest), direct=True)
    except NotFoundError:
        return False
    info = json.loads(msg.data or b"{}")
    return not info.get("deleted") and info.get("digest") == nats_digest(digest)


async def put_object(
    js: JetStreamContext,
    digest: str,
    blob: io.BufferedIOBase,
    bucket: str = ATTACHMENTS_BUCKET,
    timeout: float = 30.0,  # noqa: ASYNC109
) -> ObjectInfo:
    """Write ``blob`` as the object ``digest``: its chunks (pipelined), then its meta.

    Raises:
        SpoolAltered: the bytes do not have the sha256 ``digest`` (a spool file was altered).
    """
    nuid = uuid.uuid4().hex
    chunk_subject = f"$O.{bucket}.C.{nuid}"
    check = sha256()
    acks: list[asyncio.Future[PubAck]] = []
    size = chunks = 0
    while block := blob.read(CHUNK_BYTES):
        check.update(block)
        acks.append(await js.publish_async(chunk_subject, block))
        size += len(block)
        chunks += 1
    await asyncio.wait_for(asyncio.gather(*acks), timeout)
    if check.hexdigest() != digest:
        raise SpoolAltered(digest, check.hexdigest())
    info = ObjectInfo(
        name=digest,
        bucket=bucket,
        nuid=nuid,
        size=size,
        chunks=chunks,
        digest=nats_digest(digest),
        mtime=datetime.now(UTC).isoformat(),
        options=ObjectMetaOptions(max_chunk_size=CHUNK_BYTES),
    )
    meta = json.dumps(info.as_dict()).encode()
    subject = object_meta_subject(digest, bucket)
    await js.publish(subject, meta, timeout=timeout, headers={"Nats-Rollup": "sub"})
    return info

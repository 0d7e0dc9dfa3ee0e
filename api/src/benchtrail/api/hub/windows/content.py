"""A registered file's bytes: stored in ``bt_attachments``, recorded as ``attachment.added``.

The bytes go to the hub's object store as they arrive (named by their sha256, the same
bytes stored once, as run attachments are); then one ``attachment.added`` event is
appended to the file's own session: ``run_id`` ``""`` and ``name`` the file's id. Reusing
the run attachments' event keeps the wire format, the table, retention (rows and objects
by upload day) and replay as they are: a new event type would need all four again.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterable

from benchtrail.api.errors import BadParameter
from benchtrail.api.hub.attachment_store import store_stream
from benchtrail.api.hub.hublink import HubLink
from benchtrail.api.hub.windows.publish import journal_for
from benchtrail.api.models.windows import FileView
from benchtrail.api.queries import windows as window_queries
from benchtrail.api.queries.file_contents import FILE_RUN_ID
from benchtrail.projector import Warehouse
from benchtrail.schemas import MIMETYPE_PATTERN, AttachmentAdded

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Largest content one file may have (64 MiB, the stations' ``max_attachment_bytes``)."""
OCTET_STREAM = "application/octet-stream"
"""The media type of an upload's body, and of a content whose type nobody gave."""

_MIMETYPE = re.compile(MIMETYPE_PATTERN)


def content_mimetype(given: str | None, registered: str) -> str:
    """The mimetype to record: the one given, else the file's registered media type.

    Raises:
        BadParameter: ``given`` is not ``type/subtype``.
    """
    if given is not None:
        if not _MIMETYPE.match(given):
            raise BadParameter("mimetype", given, "a media type such as text/csv (type/subtype)")
        return given
    return registered if _MIMETYPE.match(registered) else OCTET_STREAM


async def upload_content(
    link: HubLink,
    warehouse: Warehouse,
    file_id: str,
    blocks: AsyncIterable[bytes],
    mimetype: str | None,
    *,
    max_bytes: int = MAX_FILE_BYTES,
) -> FileView:
    """Store a registered file's bytes and record them; answer the file with its content.

    Raises:
        NotFound: no file of that id (checked before any byte is read).
        BadParameter: ``mimetype`` is not ``type/subtype``.
        FileTooLarge: more than ``max_bytes`` bytes (nothing stored, nothing recorded).
    """
    registered = await _file(warehouse, file_id)
    recorded_type = content_mimetype(mimetype, registered.media_type)
    digest, size = await store_stream(link.js, blocks, max_bytes)
    async with journal_for(link, warehouse).writer(file_id) as writer:
        event = writer.stamp(
            AttachmentAdded,
            run_id=FILE_RUN_ID,
            name=file_id,
            size_bytes=size,
            sha256=digest,
            mimetype=recorded_type,
        )
        await writer.append([event], "content")
        return await writer.read(lambda w: window_queries.get_file(w, file_id))


async def _file(warehouse: Warehouse, file_id: str) -> FileView:
    return await asyncio.to_thread(window_queries.get_file, warehouse, file_id)

"""``attachment.added``: bytes stored in the hub's ``bt_attachments`` object store, by sha256."""

from __future__ import annotations

from typing import Annotated

import msgspec

from benchtrail.schemas.base import Event
from benchtrail.schemas.limits import MAX_ATTACHMENT_NAME, MAX_NAME

AttachmentName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_ATTACHMENT_NAME,
        pattern=r"^[^/\\\x00]+$",
        description="The attachment's name in its run: no path separators.",
    ),
]
Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
_MEDIA_TOKEN = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]"
MIMETYPE_PATTERN = rf"^{_MEDIA_TOKEN}{{0,63}}/{_MEDIA_TOKEN}{{0,127}}$"
"""What a media type may be: ``type/subtype`` (RFC 6838 names, no parameters)."""
Mimetype = Annotated[str, msgspec.Meta(pattern=MIMETYPE_PATTERN)]


class AttachmentAdded(Event, frozen=True, kw_only=True, tag="attachment.added"):
    """Bytes were attached to a run and stored in the hub's ``bt_attachments`` object store.

    The object's name there is its ``sha256`` (content-addressed): the station publishes
    this event only once the object is stored.
    """

    run_id: str
    name: AttachmentName
    size_bytes: Annotated[int, msgspec.Meta(ge=0)]
    sha256: Sha256
    mimetype: Mimetype = "application/octet-stream"
    step: Annotated[str, msgspec.Meta(max_length=MAX_NAME)] = ""

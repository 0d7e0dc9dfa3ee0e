"""Attaching bytes to a run: checked at the call, spooled, then recorded as ``attachment.added``.

The bytes (or a copy of the file) go to the station's attachment spool first
(:class:`~benchtrail.agents.publishing.attachments.AttachmentSpool`), named by their
sha256; then the event is recorded. The publisher stores spooled bytes in the hub's
object store before it publishes any frame, so the event never arrives before them.
"""

from __future__ import annotations

import mimetypes
import os
import re
from pathlib import Path

from benchtrail.agents.errors import AttachmentTooLarge, InvalidAttachment
from benchtrail.agents.sink import EventSink
from benchtrail.schemas import MAX_ATTACHMENT_NAME, MAX_NAME, MIMETYPE_PATTERN, AttachmentAdded

__all__ = ["AttachmentSource", "attach", "check_attachment_name"]

AttachmentSource = bytes | bytearray | memoryview | str | os.PathLike[str]
"""The bytes themselves, or the path of a file holding them."""

DEFAULT_MIMETYPE = "application/octet-stream"
_MIMETYPE = re.compile(MIMETYPE_PATTERN)
_FORBIDDEN = ("/", "\\", "\x00")


def check_attachment_name(name: str) -> str:
    """``name`` if it can name an attachment: 1–255 characters, no path separators.

    Raises:
        InvalidAttachment: it cannot.
    """
    if not isinstance(name, str) or not name:
        raise InvalidAttachment(str(name), "the name must be a non-empty string")
    if len(name) > MAX_ATTACHMENT_NAME:
        raise InvalidAttachment(
            name, f"the name is {len(name)} characters; at most {MAX_ATTACHMENT_NAME} are allowed"
        )
    if any(c in name for c in _FORBIDDEN) or name in (".", ".."):
        raise InvalidAttachment(
            name, "the name must be a file name: no '/', '\\' or NUL, not '.' or '..'"
        )
    return name


def attach(
    station: EventSink,
    run_id: str,
    name: str,
    data: AttachmentSource,
    mimetype: str | None = None,
    *,
    step: str = "",
    max_bytes: int,
) -> AttachmentAdded:
    """Spool ``data`` and record it as the attachment ``name`` of the run.

    Raises:
        InvalidAttachment: a bad name or mimetype, or a path that is not a readable file.
        AttachmentTooLarge: more than ``max_bytes`` bytes.
    """
    check_attachment_name(name)
    if len(step) > MAX_NAME:
        raise InvalidAttachment(name, f"step is {len(step)} characters; at most {MAX_NAME}")
    kind = _mimetype(name, mimetype)
    source = _source(name, data)
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    if size > max_bytes:
        raise AttachmentTooLarge(name, size, max_bytes)
    try:
        digest, stored = station.publisher.attachments.add(source)
    except OSError as e:
        raise InvalidAttachment(name, f"cannot be spooled: {e}") from e
    if stored > max_bytes:  # the file grew since it was measured
        raise AttachmentTooLarge(name, stored, max_bytes)
    return station.emit(
        AttachmentAdded,
        run_id=run_id,
        name=name,
        size_bytes=stored,
        sha256=digest,
        mimetype=kind,
        step=step,
    )


def _source(name: str, data: AttachmentSource) -> bytes | Path:
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        if not path.is_file():
            raise InvalidAttachment(name, f"{str(path)[:200]!r} is not a readable file")
        return path
    raise InvalidAttachment(name, f"data must be bytes or a path, got {type(data).__name__}")


def _mimetype(name: str, mimetype: str | None) -> str:
    if mimetype is None:
        return mimetypes.guess_type(name, strict=False)[0] or DEFAULT_MIMETYPE
    if not _MIMETYPE.match(mimetype):
        raise InvalidAttachment(name, f"mimetype {mimetype[:80]!r} is not 'type/subtype'")
    return mimetype

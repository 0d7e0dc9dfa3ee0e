"""Response bodies about run attachments, shared by the server and the Python client."""

from __future__ import annotations

from datetime import datetime

import msgspec


class AttachmentView(msgspec.Struct, frozen=True, kw_only=True):
    """One attachment of a run; its bytes are at ``/api/runs/{run_id}/attachments/{name}``.

    Attributes:
        name: its name in the run (a file name).
        size: bytes.
        sha256: the digest of its bytes (hex); the hub stores them under it.
        mimetype: the media type given (or guessed from the name) when attached.
        step: the step it was attached in (empty: the run).
        attached_at: when it was attached.
        attached_at_ns: the same in nanoseconds since the epoch.
    """

    name: str
    size: int
    sha256: str
    mimetype: str
    step: str = ""
    attached_at: datetime | None = None
    attached_at_ns: int | None = None

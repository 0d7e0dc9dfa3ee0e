"""``/api/runs/{run_id}/attachments``: a run's attachments, and each one's exact bytes.

The bytes are streamed from the hub's object store chunk by chunk, never held whole.
They are whatever a station attached, so every response forbids running them as a page
of this site (``Content-Security-Policy: sandbox``, ``nosniff``), and only images and
plain text are shown inline; anything else is offered as a download.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from litestar import get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath
from litestar.response import Stream

from benchtrail.api.http.list_filters import NOT_FOUND
from benchtrail.api.hub.attachment_store import object_chunks
from benchtrail.api.hub.hublink import HubLink, require
from benchtrail.api.models.attachments import AttachmentView
from benchtrail.api.models.entities import ErrorBody
from benchtrail.api.queries.attachments import run_attachment, run_attachments
from benchtrail.projector import Warehouse

__all__ = ["ATTACHMENT_ROUTES", "content_headers"]

_UNAVAILABLE = ResponseSpec(ErrorBody, description="This API runs without a hub connection.")
_INLINE = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "text/plain"}
)
_SANDBOX = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


@get(
    "/api/runs/{run_id:str}/attachments",
    sync_to_thread=True,
    tags=["runs"],
    responses={404: NOT_FOUND},
)
def list_attachments(
    warehouse: NamedDependency[Warehouse], run_id: FromPath[str]
) -> list[AttachmentView]:
    """The run's attachments (name, size, sha256, mimetype), in the order they were attached."""
    return run_attachments(warehouse, run_id)


@get(
    "/api/runs/{run_id:str}/attachments/{name:str}",
    tags=["runs"],
    responses={404: NOT_FOUND, 503: _UNAVAILABLE},
)
async def get_attachment(
    warehouse: NamedDependency[Warehouse],
    hub_link: NamedDependency[HubLink | None],
    run_id: FromPath[str],
    name: FromPath[str],
) -> Stream:
    """The exact bytes of one attachment, with its mimetype (streamed)."""
    view = await asyncio.to_thread(run_attachment, warehouse, run_id, name)
    link = require(hub_link, "attachments")
    chunks = await object_chunks(link.js, view.sha256, view.size)
    headers = content_headers(view.name, view.mimetype, view.size, view.sha256)
    return Stream(chunks, media_type=view.mimetype, headers=headers)


def content_headers(name: str, mimetype: str, size: int, digest: str) -> dict[str, str]:
    """The headers of stored bytes served as they are: sandboxed, never sniffed.

    Only images and plain text are ``inline``; anything else is a download named ``name``.
    """
    disposition = "inline" if mimetype in _INLINE else "attachment"
    return {
        "Content-Length": str(size),
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
        "Content-Security-Policy": _SANDBOX,
        "X-Content-Type-Options": "nosniff",
        "ETag": f'"{digest}"',
    }


ATTACHMENT_ROUTES = [list_attachments, get_attachment]
"""The attachment route handlers."""

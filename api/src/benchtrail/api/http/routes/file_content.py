"""``/api/files/{file_id}/content``: upload a registered file's bytes, and read them back.

The upload is the one request of this API whose body is not JSON: raw bytes
(``application/octet-stream``, see
:data:`benchtrail.api.http.security.middleware.OCTET_ROUTE`), up to
:data:`~benchtrail.api.hub.windows.content.MAX_FILE_BYTES`, streamed into the hub's
object store as they arrive. Reading serves them as run attachments are served.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Request, get, put
from litestar.di import NamedDependency
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from benchtrail.api.errors import FileTooLarge, NotFound
from benchtrail.api.http.routes.attachments import content_headers
from benchtrail.api.hub.attachment_store import object_chunks
from benchtrail.api.hub.hublink import HubLink, require
from benchtrail.api.hub.windows.content import MAX_FILE_BYTES, upload_content
from benchtrail.api.models.entities import ErrorBody
from benchtrail.api.models.windows import FileView
from benchtrail.api.queries import windows as window_queries
from benchtrail.projector import Warehouse

__all__ = ["FILE_CONTENT_ROUTES"]

_MISSING = ResponseSpec(ErrorBody, description="No file of that id, or no content uploaded.")
_TOO_LARGE = ResponseSpec(ErrorBody, description=f"More than {MAX_FILE_BYTES} bytes.")
_UNAVAILABLE = ResponseSpec(ErrorBody, description="No hub, or the upload is not ingested yet.")
_BAD = ResponseSpec(ErrorBody, description="The mimetype is not type/subtype.")


@put(
    "/api/files/{file_id:str}/content",
    tags=["windows"],
    status_code=200,
    request_max_body_size=MAX_FILE_BYTES,
    responses={400: _BAD, 404: _MISSING, 413: _TOO_LARGE, 503: _UNAVAILABLE},
)
async def upload_file_content(
    warehouse: NamedDependency[Warehouse],
    hub_link: NamedDependency[HubLink | None],
    request: Request[Any, Any, Any],
    file_id: FromPath[str],
    mimetype: Annotated[
        str | None,
        QueryParameter(description="The content's media type (default: the file's)."),
    ] = None,
) -> FileView:
    """Store the file's bytes (the raw body, at most 64 MiB); answer the file with its content.

    The same bytes are stored once (named by their sha256); uploaded again, the
    latest upload is the file's content.
    """
    announced = request.content_length
    if announced is not None and announced > MAX_FILE_BYTES:
        raise FileTooLarge(announced, MAX_FILE_BYTES)
    link = require(hub_link, "file contents")
    return await upload_content(link, warehouse, file_id, _body(request), mimetype)


async def _body(request: Request[Any, Any, Any]) -> AsyncIterator[bytes]:
    received = 0
    try:
        async for block in request.stream():
            received += len(block)
            yield block
    except RequestEntityTooLarge as e:
        raise FileTooLarge(received, MAX_FILE_BYTES) from e


@get(
    "/api/files/{file_id:str}/content",
    tags=["windows"],
    responses={404: _MISSING, 503: _UNAVAILABLE},
)
async def get_file_content(
    warehouse: NamedDependency[Warehouse],
    hub_link: NamedDependency[HubLink | None],
    file_id: FromPath[str],
) -> Stream:
    """The exact bytes uploaded for the file (streamed); 404 until uploaded."""
    view = await asyncio.to_thread(window_queries.get_file, warehouse, file_id)
    content = view.content
    if content is None:
        raise NotFound("file content", file_id)
    link = require(hub_link, "file contents")
    chunks = await object_chunks(link.js, content.sha256, content.size_bytes)
    name = view.path.replace("\\", "/").rsplit("/", 1)[-1] or file_id
    headers = content_headers(name, content.mimetype, content.size_bytes, content.sha256)
    return Stream(chunks, media_type=content.mimetype, headers=headers)


FILE_CONTENT_ROUTES = [upload_file_content, get_file_content]
"""The file content route handlers."""

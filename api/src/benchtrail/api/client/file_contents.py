"""Client methods of files' contents: upload a registered file's bytes, read them back."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import httpx
import msgspec

from benchtrail.api.client.base import ClientBase, _error, is_unrouted, path_segment
from benchtrail.api.errors import ApiUnavailable, NotFound
from benchtrail.api.models.windows import FileView

_file = msgspec.json.Decoder(FileView)
Params = list[tuple[str, str | int | float | bool | None]]


class FileContentMethods(ClientBase):
    """The bytes of files registered for observation windows (``/api/files/{id}/content``)."""

    def upload_file(
        self,
        file_id: str,
        data: bytes | str | os.PathLike[str],
        mimetype: str | None = None,
    ) -> FileView:
        """Upload a registered file's bytes (at most 64 MiB): ``data`` itself, or the file
        at that path, streamed from the disk. The answer has its ``content`` (size, sha256).

        ``mimetype`` defaults to the file's registered media type (else
        ``application/octet-stream``). Uploaded again, the latest upload counts.

        Raises:
            UnexpectedResponse: the bytes are larger than the hub takes (HTTP 413).
        """
        path = _content_path(file_id)
        query: Params = [("mimetype", mimetype)] if mimetype is not None else []
        headers = {"Content-Type": "application/octet-stream"}
        if isinstance(data, bytes):
            response = self._put_raw(path, data, headers, query, file_id)
        else:
            source = Path(data)
            headers["Content-Length"] = str(source.stat().st_size)
            with source.open("rb") as stream:
                response = self._put_raw(path, stream, headers, query, file_id)
        return _file.decode(response.content)

    def file_content(self, file_id: str) -> bytes:
        """The exact bytes uploaded for a file.

        Raises:
            NotFound: no file of that id, or none uploaded yet.
        """
        return self._get(_content_path(file_id), missing=("file", file_id))

    def _put_raw(
        self,
        path: str,
        content: bytes | BinaryIO,
        headers: dict[str, str],
        query: Params,
        file_id: str,
    ) -> httpx.Response:
        """One request with a raw body; errors as the API's exceptions."""
        try:
            response = self._http.request(
                "PUT", path, params=query, content=content, headers=headers
            )
        except httpx.HTTPError as e:
            raise ApiUnavailable(self.url, str(e) or type(e).__name__) from e
        if response.is_success:
            return response
        error = _error(self.url + path, response)
        if is_unrouted(error):
            raise NotFound("file", file_id) from error
        raise error


def _content_path(file_id: str) -> str:
    return f"/api/files/{path_segment('file_id', file_id)}/content"

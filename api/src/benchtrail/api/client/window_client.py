"""``WindowClient``: the HTTP calls of observation windows and files, one method per endpoint.

:class:`benchtrail.api.Window` is the object-style API on top of it; use this client
directly for lists and DataFrames (``client.windows(dataset_id=...).to_polars()``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import httpx
import msgspec

from benchtrail.api.client.base import _error, is_unrouted, path_segment
from benchtrail.api.client.file_contents import FileContentMethods
from benchtrail.api.errors import ApiUnavailable, BadParameter, NotFound
from benchtrail.api.models.records import Records
from benchtrail.api.models.windows import (
    DeviceAttachment,
    FileContribution,
    FileContributions,
    FileRegistration,
    FileView,
    TopicSpec,
    WindowChange,
    WindowCreation,
    WindowDevice,
    WindowFile,
    WindowPage,
    WindowTopic,
    WindowView,
)

PAGE_SIZE = 1000
"""Largest page ``/api/windows`` returns."""

_encoder = msgspec.json.Encoder()
_window = msgspec.json.Decoder(WindowView)
_page = msgspec.json.Decoder(WindowPage)
_file = msgspec.json.Decoder(FileView)
_devices = msgspec.json.Decoder(list[WindowDevice])
_files = msgspec.json.Decoder(list[WindowFile])
_topics = msgspec.json.Decoder(list[WindowTopic])
Params = list[tuple[str, str | int | float | bool | None]]


class WindowClient(FileContentMethods):
    """Observation windows and files of a benchtrail API.

    Args:
        url: base URL of the API; default ``$BENCHTRAIL_API``, else ``http://127.0.0.1:8000``.
        token: the API token; default ``$BENCHTRAIL_TOKEN``. Changes are recorded
            (``created_by``/``modified_by``) as the token's name (``local`` on a hub
            running open).
        timeout: seconds to wait for each HTTP request.
        transport: an httpx transport, e.g. ``httpx.ASGITransport`` in tests.

    Raises (from every method):
        ApiUnavailable: the API cannot be reached, failed, or runs without a hub (HTTP 503).
        NotFound: the window, file or device does not exist.
        BadParameter: the server refused a value; its message says which and why.
    """

    # -- files ----------------------------------------------------------------------------

    def register_file(
        self,
        *,
        dataset_id: str,
        path: str,
        start_ns: int,
        end_ns: int,
        topics: Iterable[TopicSpec | str] = (),
        media_type: str = "",
        size_bytes: int = 0,
        content: bytes | str | os.PathLike[str] | None = None,
    ) -> FileView:
        """Register a file of a dataset with its time extent and topics (a name alone: the
        topic spans the whole file); with ``content`` (bytes, or a file to read), upload
        its bytes too (:meth:`upload_file`)."""
        body = FileRegistration(
            dataset_id=dataset_id,
            path=path,
            start_ns=start_ns,
            end_ns=end_ns,
            media_type=media_type,
            size_bytes=size_bytes,
            topics=[TopicSpec(name=t) if isinstance(t, str) else t for t in topics],
        )
        view = _file.decode(self._send("POST", "/api/files", body=body).content)
        if content is None:
            return view
        return self.upload_file(view.file_id, content, mimetype=media_type or None)

    def file(self, file_id: str) -> FileView:
        """One registered file."""
        path = f"/api/files/{path_segment('file_id', file_id)}"
        return _file.decode(self._send("GET", path, missing=("file", file_id)).content)

    # -- windows --------------------------------------------------------------------------

    def create_window(
        self, *, name: str | None = None, device_ids: Sequence[str] = (), project: str = ""
    ) -> WindowView:
        """Create a window with a name (or none), devices and a project."""
        body = WindowCreation(name=name, device_ids=list(device_ids), project=project)
        return _window.decode(self._send("POST", "/api/windows", body=body).content)

    def window(self, window_id: str) -> WindowView:
        """One window as it is now."""
        return self._window_call("GET", window_id)

    def windows(
        self,
        *,
        dataset_id: str | None = None,
        project: str | None = None,
        limit: int | None = 100,
        cursor: str | None = None,
    ) -> Records[WindowView]:
        """Windows newest first: holding a file of ``dataset_id``, of ``project``, or all."""
        if limit is not None and limit < 0:
            raise BadParameter("limit", limit, "a count >= 0, or None for all")
        records = Records[WindowView](item_type=WindowView, next_cursor=cursor)
        named = (("dataset_id", dataset_id), ("project", project))
        filters: Params = [(name, value) for name, value in named if value]
        while limit is None or len(records) < limit:
            size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - len(records))
            query: Params = [*filters, ("limit", size)]
            if records.next_cursor is not None:
                query.append(("cursor", records.next_cursor))
            page = _page.decode(self._send("GET", "/api/windows", query=query).content)
            records.extend(page.items)
            records.next_cursor = page.next_cursor
            if page.next_cursor is None:
                break
        return records

    def update_window(
        self, window_id: str, *, name: str | msgspec.UnsetType | None = msgspec.UNSET
    ) -> WindowView:
        """Change a window: ``name=None`` clears the name, leaving it out keeps it."""
        return self._window_call("PATCH", window_id, body=WindowChange(name=name))

    def delete_window(self, window_id: str) -> None:
        """Delete a window with its contributions and attachments."""
        self._send("DELETE", _window_path(window_id), missing=("window", window_id))

    def attach_device(self, window_id: str, device_id: str, *, kind: str = "") -> WindowView:
        """Attach a device to a window."""
        body = DeviceAttachment(device_id=device_id, kind=kind)
        return self._window_call("POST", window_id, "/devices", body=body)

    def detach_device(self, window_id: str, device_id: str) -> WindowView:
        """Detach a device from a window."""
        device = path_segment("device_id", device_id)
        return self._window_call("DELETE", window_id, f"/devices/{device}")

    def devices(self, window_id: str) -> Records[WindowDevice]:
        """The devices attached to a window."""
        content = self._window_content(window_id, "/devices")
        return Records(_devices.decode(content), item_type=WindowDevice)

    def add_files(self, window_id: str, files: Iterable[FileContribution]) -> WindowView:
        """Add files to a window, whole or narrowed; the answer has the new extent."""
        body = FileContributions(files=list(files))
        return self._window_call("POST", window_id, "/files", body=body)

    def remove_files(self, window_id: str, file_ids: Iterable[str]) -> WindowView:
        """Remove files from a window; the answer has the new extent."""
        query: Params = [("file_id", file_id) for file_id in file_ids]
        return self._window_call("DELETE", window_id, "/files", query=query)

    def files(self, window_id: str) -> Records[WindowFile]:
        """A window's file contributions, in time order."""
        content = self._window_content(window_id, "/files")
        return Records(_files.decode(content), item_type=WindowFile)

    def topics(self, window_id: str) -> Records[WindowTopic]:
        """Topics reachable from a window, by name then id."""
        content = self._window_content(window_id, "/topics")
        return Records(_topics.decode(content), item_type=WindowTopic)

    # -- plumbing -------------------------------------------------------------------------

    def _window_call(
        self,
        method: str,
        window_id: str,
        suffix: str = "",
        *,
        body: msgspec.Struct | None = None,
        query: Params | None = None,
    ) -> WindowView:
        path = _window_path(window_id) + suffix
        response = self._send(method, path, body=body, query=query, missing=("window", window_id))
        return _window.decode(response.content)

    def _window_content(self, window_id: str, suffix: str) -> bytes:
        path = _window_path(window_id) + suffix
        return self._send("GET", path, missing=("window", window_id)).content

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: msgspec.Struct | None = None,
        query: Params | None = None,
        missing: tuple[str, str] | None = None,
    ) -> httpx.Response:
        """One request with a JSON body; errors as the API's exceptions."""
        headers: dict[str, str] = {}
        content = _encoder.encode(body) if body is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self._http.request(
                method, path, params=query or [], content=content, headers=headers
            )
        except httpx.HTTPError as e:
            raise ApiUnavailable(self.url, str(e) or type(e).__name__) from e
        if response.is_success:
            return response
        error = _error(self.url + path, response)
        if missing and is_unrouted(error):
            raise NotFound(*missing) from error
        raise error


def _window_path(window_id: str) -> str:
    return f"/api/windows/{path_segment('window_id', window_id)}"

"""Tabular reads for the Python client: Arrow pages as polars DataFrames, and streamed exports.

pyarrow and polars are imported where they are used, not at the top: the CLI
imports the client on every command and should not pay for them.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Literal

import httpx

from benchtrail.api.client.base import ClientBase, QueryValue, _error
from benchtrail.api.client.filters import EXPORT_FILTERS, query_of
from benchtrail.api.errors import ApiUnavailable, BadParameter

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

ExportEntity = Literal["runs", "sessions", "measurements"]
"""What ``/api/export/...`` streams."""

PAGE_SIZE = 1000
"""Largest page most list endpoints return."""

_READ_SIZE = 1 << 20


class TableClient(ClientBase):
    """Reads list endpoints as Arrow (``format=arrow``), and streams ``/api/export``."""

    def export(
        self, entity: ExportEntity, *, flat: bool = False, **filters: object
    ) -> pa.RecordBatchReader:
        """Every row of ``entity`` matching ``filters``, streamed as Arrow record batches.

        The server reads the warehouse page by page and sends each page as it
        comes; the returned reader has the schema at once and yields the batches
        as they arrive, so nothing holds the whole result (unless you call
        ``read_all()``). ``filters`` are those of the list method (``runs``:
        :class:`RunQuery`, ``sessions``: :class:`SessionQuery`, ``measurements``:
        :class:`MeasurementQuery`). ``flat=True`` gives list columns as JSON text
        (what a CSV file can hold). Reading to the end closes the HTTP stream.

        Raises:
            TypeError: a filter the entity does not have.
            BadParameter: the server refused a filter.
            ApiUnavailable: the API cannot be reached, or the stream broke off
                (raised while reading the batches).
        """
        import pyarrow as pa

        if entity not in EXPORT_FILTERS:
            raise BadParameter("entity", entity, "one of " + ", ".join(EXPORT_FILTERS))
        query = query_of(filters, EXPORT_FILTERS[entity])
        if flat:
            query["flat"] = "true"
        path = f"/api/export/{entity}"
        request = self._http.build_request("GET", path, params=query)
        try:
            response = self._http.send(request, stream=True)
        except httpx.HTTPError as e:
            raise ApiUnavailable(self.url, str(e) or type(e).__name__) from e
        try:
            if not response.is_success:
                response.read()
                raise _error(self.url + path, response)
            body = io.BufferedReader(_ResponseFile(response.iter_bytes()), _READ_SIZE)
            stream = pa.ipc.open_stream(body)
        except BaseException:
            response.close()
            raise
        batches = _batches(stream, response, f"{self.url}{path}")
        return pa.RecordBatchReader.from_batches(stream.schema, batches)

    def _arrow(
        self,
        path: str,
        query: Mapping[str, QueryValue],
        *,
        missing: tuple[str, str] | None = None,
    ) -> tuple[pa.Table, httpx.Headers]:
        """One answer of ``path`` in Arrow IPC, read into a table, and its headers."""
        import pyarrow as pa

        response = self._request(path, {**query, "format": "arrow"}, missing=missing)
        return pa.ipc.open_stream(response.content).read_all(), response.headers

    def _frame(
        self,
        path: str,
        query: Mapping[str, QueryValue],
        *,
        missing: tuple[str, str] | None = None,
    ) -> pl.DataFrame:
        """One answer of ``path`` as a polars DataFrame."""
        return to_polars(self._arrow(path, query, missing=missing)[0])

    def _frame_pages(
        self,
        path: str,
        query: Mapping[str, QueryValue],
        *,
        limit: int | None,
        cursor: str | None = None,
        cursor_parameter: str = "cursor",
        page_size: int = PAGE_SIZE,
        missing: tuple[str, str] | None = None,
    ) -> pl.DataFrame:
        """Up to ``limit`` rows of ``path`` (None: all), following ``X-Next-Cursor``."""
        import pyarrow as pa

        tables: list[pa.Table] = []
        rows = 0
        position = cursor
        while not tables or (position is not None and (limit is None or rows < limit)):
            size = page_size if limit is None else max(1, min(page_size, limit - rows))
            page_query = {**query, "limit": size}
            if position is not None:
                page_query[cursor_parameter] = position
            table, headers = self._arrow(path, page_query, missing=missing)
            tables.append(table)
            rows += table.num_rows
            position = headers.get("X-Next-Cursor")
        whole = pa.concat_tables(tables)
        return to_polars(whole if limit is None else whole.slice(0, limit))


def _batches(
    stream: pa.RecordBatchStreamReader, response: httpx.Response, url: str
) -> Iterator[pa.RecordBatch]:
    """The batches of an export as they arrive; the response is closed at the end."""
    try:
        yield from stream
    except httpx.HTTPError as e:
        raise ApiUnavailable(url, f"the export broke off: {e}") from e
    finally:
        response.close()


def to_polars(table: pa.Table) -> pl.DataFrame:
    """An Arrow table as a polars DataFrame."""
    import polars as pl

    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


class _ResponseFile(io.RawIOBase):
    """A raw readable file over the chunks of a streamed HTTP body.

    Raw reads may be short; an ``io.BufferedReader`` over it reads exactly what
    ``pa.ipc.open_stream`` asks for.
    """

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

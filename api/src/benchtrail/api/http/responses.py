"""Output formats of the list endpoints: JSON, CSV, Parquet or Arrow IPC.

The format comes from ``?format=`` or, without it, from the ``Accept`` header
(the first media type named there that the API knows); JSON is the default.
Tabular formats carry one page as a flat table, one column per JSON field;
the next page's cursor travels in the ``X-Next-Cursor`` and ``Link`` headers.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from litestar import Request, Response
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Schema,
)

from benchtrail.api.queries._sql import Nesting

OutputFormat = Literal["json", "csv", "parquet", "arrow"]
"""What a list endpoint answers in."""


JSON = "application/json"
CSV = "text/csv"
PARQUET = "application/vnd.apache.parquet"
ARROW_STREAM = "application/vnd.apache.arrow.stream"

MEDIA_TYPES: Mapping[OutputFormat, str] = {
    "json": JSON,
    "csv": CSV,
    "parquet": PARQUET,
    "arrow": ARROW_STREAM,
}
"""The media type of each format (what ``Accept`` may ask for, and ``Content-Type`` says)."""

_BY_MEDIA_TYPE: Mapping[str, OutputFormat] = {
    media_type: name for name, media_type in MEDIA_TYPES.items()
}

NEXT_CURSOR_HEADER = "X-Next-Cursor"
"""Response header with the cursor of the next page (absent on the last page)."""

FORMAT_DOC = (
    "json (default), csv, parquet or arrow (an Arrow IPC stream). Without it, the Accept"
    " header decides: text/csv, application/vnd.apache.parquet or"
    " application/vnd.apache.arrow.stream; anything else gives JSON."
)


def choose_format(requested: OutputFormat | None, accept: str) -> OutputFormat:
    """The format asked for: ``requested``, else the first known media type in ``accept``."""
    if requested is not None:
        return requested
    for part in accept.split(","):
        found = _BY_MEDIA_TYPE.get(part.split(";")[0].strip().lower())
        if found is not None:
            return found
    return "json"


def nesting_of(output: OutputFormat) -> Nesting:
    """How list and mapping columns are shaped for ``output`` (see :data:`Nesting`)."""
    if output == "json":
        return "native"
    return "text" if output == "csv" else "lists"


def table_bytes(table: pa.Table, output: OutputFormat) -> bytes:
    """``table`` encoded as CSV (with a header row), Parquet or an Arrow IPC stream."""
    sink = io.BytesIO()
    if output == "csv":
        pa_csv.write_csv(table, sink)
    elif output == "parquet":
        pq.write_table(table, sink)
    else:
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    return sink.getvalue()


def table_response(
    request: Request[Any, Any, Any],
    table: pa.Table,
    output: OutputFormat,
    *,
    next_cursor: str | None = None,
    cursor_parameter: str = "cursor",
    headers: Mapping[str, str] | None = None,
) -> Response[bytes]:
    """A tabular answer, with the next page's cursor in ``X-Next-Cursor`` and ``Link``."""
    all_headers = {**(headers or {}), **page_headers(request, next_cursor, cursor_parameter)}
    return Response(table_bytes(table, output), media_type=MEDIA_TYPES[output], headers=all_headers)


def page_headers(
    request: Request[Any, Any, Any], next_cursor: str | None, cursor_parameter: str = "cursor"
) -> dict[str, str]:
    """``X-Next-Cursor`` and a ``Link: <...>; rel="next"`` to the next page, if there is one."""
    if next_cursor is None:
        return {}
    query = [
        (name, value)
        for name, value in request.query_params.multi_items()
        if name != cursor_parameter
    ]
    query.append((cursor_parameter, next_cursor))
    url = request.url.with_replacements(query=urlencode(query))
    return {NEXT_CURSOR_HEADER: next_cursor, "Link": f'<{url}>; rel="next"'}


def ipc_stream(schema: pa.Schema, tables: Iterable[pa.Table]) -> Iterator[bytes]:
    """An Arrow IPC stream, one chunk of bytes per table, written as the tables come."""
    sink = _Chunks()
    with pa.ipc.new_stream(sink, schema) as writer:
        yield sink.take()
        for table in tables:
            writer.write_table(table.cast(schema))
            yield sink.take()
    yield sink.take()


class _Chunks(io.RawIOBase):
    """A write-only file that hands out what was written since the last :meth:`take`."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        return len(chunk)

    def take(self) -> bytes:
        chunk = b"".join(self._parts)
        self._parts.clear()
        return chunk


@dataclass
class TabularOperation(Operation):
    """An OpenAPI operation whose 200 answer may also be CSV, Parquet or Arrow IPC."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if not isinstance(ok, OpenAPIResponse):
            return
        binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        content = dict(ok.content or {})
        for media_type in (CSV, PARQUET, ARROW_STREAM):
            content.setdefault(media_type, OpenAPIMediaType(schema=binary))
        ok.content = content

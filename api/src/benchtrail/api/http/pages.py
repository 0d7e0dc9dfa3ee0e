"""Answers of the list endpoints: a page in the format asked for, with its paging headers.

Every list handler does the same: decode the ``cursor`` of its kind, run the
query (in the handler's worker thread: chDB has no async client), answer JSON
built from Structs or a tabular format built by ClickHouse, and set
``X-Next-Cursor``/``Link`` when more rows follow. A :class:`PagedList` does it
once for every paged list; :func:`answer` for the lists that are one page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import msgspec
import pyarrow as pa
from litestar import MediaType, Request, Response

from benchtrail.api.http.responses import OutputFormat, nesting_of, page_headers, table_response
from benchtrail.api.models.entities import MeasurementPage, RunPage, SessionPage
from benchtrail.api.models.filters import FilterValues
from benchtrail.api.queries import measurements as measurement_queries
from benchtrail.api.queries import runs as run_queries
from benchtrail.api.queries import sessions as session_queries
from benchtrail.api.queries._sql import Nesting, TablePage
from benchtrail.api.queries.cursors import Cursor, PointCursor, decode_cursor, decode_point_cursor
from benchtrail.projector import Warehouse

Req = Request[Any, Any, Any]
_Position = TypeVar("_Position", Cursor, PointCursor)
_Position_contra = TypeVar("_Position_contra", Cursor, PointCursor, contravariant=True)
_Page_co = TypeVar("_Page_co", covariant=True)


class _NextCursor(Protocol):
    @property
    def next_cursor(self) -> str | None: ...  # pragma: no cover


_Page = TypeVar("_Page", bound=_NextCursor)


class PageQuery(Protocol[_Position_contra, _Page_co]):
    """A query answering one page of a list as Structs (``list_runs`` & co.)."""

    def __call__(
        self,
        warehouse: Warehouse,
        filters: FilterValues,
        /,
        *,
        limit: int,
        cursor: _Position_contra | None = None,
    ) -> _Page_co: ...  # pragma: no cover


class TableQuery(Protocol[_Position_contra]):
    """A query answering the same page as an Arrow table (``runs_table`` & co.)."""

    def __call__(
        self,
        warehouse: Warehouse,
        filters: FilterValues,
        /,
        *,
        limit: int,
        cursor: _Position_contra | None = None,
        nesting: Nesting = "lists",
    ) -> TablePage: ...  # pragma: no cover


@dataclass(frozen=True)
class PagedList(Generic[_Position, _Page]):
    """A list read page by page: its cursor kind and decoder, and its two queries."""

    kind: str
    decode: Callable[[str, str], _Position]
    page: PageQuery[_Position, _Page]
    table: TableQuery[_Position]

    def position(self, cursor: str | None) -> _Position | None:
        """The decoded ``cursor`` parameter (None: the first page)."""
        return self.decode(self.kind, cursor) if cursor else None

    def answer(
        self,
        warehouse: Warehouse,
        request: Req,
        filters: FilterValues,
        output: OutputFormat,
        *,
        limit: int,
        cursor: str | None,
    ) -> Response[Any]:
        """The page after ``cursor`` in the ``output`` format, with its paging headers."""
        position = self.position(cursor)
        if output == "json":
            page = self.page(warehouse, filters, limit=limit, cursor=position)
            return json_response(page, headers=page_headers(request, page.next_cursor))
        found = self.table(
            warehouse, filters, limit=limit, cursor=position, nesting=nesting_of(output)
        )
        return tabular(request, found.table, output, next_cursor=found.next_cursor)

    def table_after(
        self,
        warehouse: Warehouse,
        filters: FilterValues,
        cursor: str | None,
        *,
        limit: int,
        nesting: Nesting,
    ) -> TablePage:
        """The page after ``cursor`` as an Arrow table (what an export streams)."""
        position = self.position(cursor)
        return self.table(warehouse, filters, limit=limit, cursor=position, nesting=nesting)


def json_response(body: object, *, headers: dict[str, str] | None = None) -> Response[Any]:
    """``body`` as JSON, encoded here: in the handler's worker thread, not the event loop.

    A 100k-point page takes ~50 ms to encode; done by Litestar after the handler it
    would stall the event loop the hub's projector and live feeds share.
    """
    return Response(msgspec.json.encode(body), media_type=MediaType.JSON, headers=headers)


def answer(
    request: Req,
    output: OutputFormat,
    body: Callable[[], object],
    table: Callable[[Nesting], pa.Table],
    *,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    """A one-page list: ``body()`` as JSON, or ``table(nesting)`` in a tabular format."""
    if output == "json":
        return json_response(body())
    return tabular(request, table(nesting_of(output)), output, headers=headers)


def tabular(
    request: Req,
    table: pa.Table,
    output: OutputFormat,
    *,
    next_cursor: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    """A tabular answer, fitting any handler's declared (JSON) response type."""
    return table_response(request, table, output, next_cursor=next_cursor, headers=headers)


# The queries are looked up at each call (not bound here), so a test can replace one.
SESSION_LIST: PagedList[Cursor, SessionPage] = PagedList(
    session_queries.CURSOR_KIND,
    decode_cursor,
    lambda warehouse, filters, *, limit, cursor=None: session_queries.list_sessions(
        warehouse, filters, limit=limit, cursor=cursor
    ),
    lambda warehouse, filters, *, limit, cursor=None, nesting="lists": (
        session_queries.sessions_table(
            warehouse, filters, limit=limit, cursor=cursor, nesting=nesting
        )
    ),
)
"""``/api/sessions`` and its export."""

RUN_LIST: PagedList[Cursor, RunPage] = PagedList(
    run_queries.CURSOR_KIND,
    decode_cursor,
    lambda warehouse, filters, *, limit, cursor=None: run_queries.list_runs(
        warehouse, filters, limit=limit, cursor=cursor
    ),
    lambda warehouse, filters, *, limit, cursor=None, nesting="lists": run_queries.runs_table(
        warehouse, filters, limit=limit, cursor=cursor, nesting=nesting
    ),
)
"""``/api/runs`` and its export."""

MEASUREMENT_LIST: PagedList[PointCursor, MeasurementPage] = PagedList(
    measurement_queries.CURSOR_KIND,
    decode_point_cursor,
    lambda warehouse, filters, *, limit, cursor=None: measurement_queries.list_measurements(
        warehouse, filters, limit=limit, cursor=cursor
    ),
    lambda warehouse, filters, *, limit, cursor=None, nesting="lists": (
        measurement_queries.measurements_table(
            warehouse, filters, limit=limit, cursor=cursor, nesting=nesting
        )
    ),
)
"""``/api/measurements`` and its export."""

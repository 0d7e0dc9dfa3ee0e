"""``GET /api/export/{runs,sessions,measurements}``: a whole filtered table as one Arrow stream.

The server walks the list's pages itself (the same queries and cursors as
``/api/runs`` & co., with bigger pages) and writes each page to the response as
Arrow IPC record batches as soon as ClickHouse returns it: neither side ever
holds the whole result. The warehouse is queried page by page, each page in a turn
of the API's :class:`~benchtrail.api.http.read_gate.ReadGate`, so an export takes
turns with other readers and never keeps the projector waiting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

import pyarrow as pa
from anyio import to_thread
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Stream

from benchtrail.api.http.list_filters import BAD_PARAMETER, filters_only
from benchtrail.api.http.pages import MEASUREMENT_LIST, RUN_LIST, SESSION_LIST, PagedList
from benchtrail.api.http.read_gate import READ_GATE_STATE, ReadGate
from benchtrail.api.http.responses import ARROW_STREAM, ipc_stream
from benchtrail.api.models.filters import MEASUREMENTS, RUNS, SESSIONS, FilterSet, FilterValues
from benchtrail.api.queries._sql import Nesting, TablePage
from benchtrail.projector import Warehouse

EXPORT_PAGE_ROWS = {"runs": 5000, "sessions": 5000, "measurements": 100_000}
"""Rows the server reads from the warehouse per page of an export."""

Flat = Annotated[
    bool,
    QueryParameter(
        description="true: list columns as JSON text too (what a CSV file can hold);"
        " false: typed Arrow lists."
    ),
]
PageReader = Callable[[str | None], TablePage]
"""Reads the page after a cursor (None: the first page)."""


def _export_route(path: str, declared: FilterSet) -> get:
    """The route decorator of an export: the filters of ``declared``, an Arrow stream."""
    return get(
        path,
        dependencies=filters_only(declared),
        sync_to_thread=True,
        tags=["export"],
        responses={400: BAD_PARAMETER},
        media_type=ARROW_STREAM,
    )


@_export_route("/api/export/runs", RUNS)
def export_runs(
    warehouse: NamedDependency[Warehouse],
    request: Request[Any, Any, Any],
    filters: NamedDependency[FilterValues],
    *,
    flat: Flat = False,
) -> Stream:
    """Every run matching the filters of ``/api/runs``, newest first, as an Arrow stream."""
    return _export(
        RUN_LIST, warehouse, request, filters, flat=flat, page_rows=EXPORT_PAGE_ROWS["runs"]
    )


@_export_route("/api/export/sessions", SESSIONS)
def export_sessions(
    warehouse: NamedDependency[Warehouse],
    request: Request[Any, Any, Any],
    filters: NamedDependency[FilterValues],
    *,
    flat: Flat = False,
) -> Stream:
    """Every session matching the filters of ``/api/sessions``, newest first, as an Arrow stream."""
    return _export(
        SESSION_LIST, warehouse, request, filters, flat=flat, page_rows=EXPORT_PAGE_ROWS["sessions"]
    )


@_export_route("/api/export/measurements", MEASUREMENTS)
def export_measurements(
    warehouse: NamedDependency[Warehouse],
    request: Request[Any, Any, Any],
    filters: NamedDependency[FilterValues],
    *,
    flat: Flat = False,
) -> Stream:
    """Every point matching the filters of ``/api/measurements``, as an Arrow stream.

    In the table's order (station, name, time), read by its sort key page after page.
    """
    return _export(
        MEASUREMENT_LIST,
        warehouse,
        request,
        filters,
        flat=flat,
        page_rows=EXPORT_PAGE_ROWS["measurements"],
    )


def _export(
    paged: PagedList[Any, Any],
    warehouse: Warehouse,
    request: Request[Any, Any, Any],
    filters: FilterValues,
    *,
    flat: bool,
    page_rows: int,
) -> Stream:
    nesting = _nesting(flat)

    def read(cursor: str | None) -> TablePage:
        return paged.table_after(warehouse, filters, cursor, limit=page_rows, nesting=nesting)

    return _stream(read, request.app.state.get(READ_GATE_STATE))


def _nesting(flat: bool) -> Nesting:
    return "text" if flat else "lists"


def _stream(read: PageReader, gate: ReadGate | None) -> Stream:
    """The first page is read now (a bad filter is still a 400); the rest while streaming."""
    first = read(None)
    chunks = ipc_stream(first.table.schema, _tables(read, first))
    return Stream(_in_thread(chunks, gate), media_type=ARROW_STREAM)


def _tables(read: PageReader, first: TablePage) -> Iterator[pa.Table]:
    page = first
    yield page.table
    while page.next_cursor is not None:
        page = read(page.next_cursor)
        yield page.table


async def _in_thread(chunks: Iterator[bytes], gate: ReadGate | None) -> AsyncIterator[bytes]:
    """Each chunk computed in a worker thread, in a turn of ``gate``; an error aborts the
    response (never truncates)."""
    done = object()
    while True:
        if gate is None:
            chunk = await to_thread.run_sync(next, chunks, done)
        else:
            async with gate.turn():
                chunk = await to_thread.run_sync(next, chunks, done)
        if chunk is done:
            return
        assert isinstance(chunk, bytes)
        yield chunk


EXPORT_ROUTES = [export_runs, export_sessions, export_measurements]
"""The streaming export routes."""

"""Routes over measured points and DUTs: the points list, series for charts, DUT history.

Like every list endpoint they answer JSON, CSV, Parquet or Arrow IPC
(:mod:`benchtrail.api.http.responses`); their queries live in :mod:`benchtrail.api.queries`.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from benchtrail.api.errors import BadParameter
from benchtrail.api.http.list_filters import (
    BAD_PARAMETER,
    NOT_FOUND,
    OUTPUT,
    PAGE_HEADERS,
    CursorParam,
    DutSerial,
    RunId,
    StationId,
    filters,
    time_bound,
)
from benchtrail.api.http.pages import MEASUREMENT_LIST, answer, tabular
from benchtrail.api.http.responses import OutputFormat, TabularOperation
from benchtrail.api.models.entities import DutHistory, MeasurementPage, Series
from benchtrail.api.models.filters import DUTS, MEASUREMENTS, FilterValues
from benchtrail.api.queries import duts as dut_queries
from benchtrail.api.queries import series as series_queries
from benchtrail.api.queries.series import MAX_BUCKETS
from benchtrail.projector import Warehouse

MAX_POINT_LIMIT = 100_000
"""Largest page of ``/api/measurements``."""

Req = Request[Any, Any, Any]


@get(
    "/api/measurements",
    sync_to_thread=True,
    tags=["measurements"],
    responses={400: BAD_PARAMETER},
    dependencies=filters(MEASUREMENTS),
    operation_class=TabularOperation,
    response_headers=PAGE_HEADERS,
)
def list_measurements(
    warehouse: NamedDependency[Warehouse],
    request: Req,
    filters: NamedDependency[FilterValues],
    output: NamedDependency[OutputFormat],
    *,
    limit: Annotated[
        int,
        QueryParameter(
            ge=1, le=MAX_POINT_LIMIT, description=f"Points per page, 1 to {MAX_POINT_LIMIT}."
        ),
    ] = 1000,
    cursor: CursorParam = None,
) -> Response[MeasurementPage]:
    """Measured points, one row each, in the table's order: station, name, time.

    Within one station and one name that is time order. Pages are read from the
    table's sort key, so following ``next_cursor`` never re-reads a point.
    """
    return MEASUREMENT_LIST.answer(warehouse, request, filters, output, limit=limit, cursor=cursor)


@get(
    "/api/measurements/series",
    sync_to_thread=True,
    tags=["measurements"],
    responses={400: BAD_PARAMETER},
    dependencies=OUTPUT,
    operation_class=TabularOperation,
    response_headers=[
        ResponseHeader(
            name="X-Bucket-Ns",
            documentation_only=True,
            required=False,
            description="Tabular formats: the bucket width in ns (absent when nothing matched).",
        )
    ],
)
def measurement_series(
    warehouse: NamedDependency[Warehouse],
    request: Req,
    output: NamedDependency[OutputFormat],
    *,
    name: Annotated[
        str | None, QueryParameter(description="The measurement name (required).")
    ] = None,
    station_id: StationId = None,
    run_id: RunId = None,
    dut_serial: DutSerial = None,
    since: Annotated[
        str | None, QueryParameter(description="Start of the range (default: first point).")
    ] = None,
    until: Annotated[
        str | None, QueryParameter(description="End of the range, excluded (default: last point).")
    ] = None,
    buckets: Annotated[
        int,
        QueryParameter(
            ge=1,
            le=MAX_BUCKETS,
            description=f"Most buckets, 1 to {MAX_BUCKETS}.",
        ),
    ] = 500,
) -> Response[Series]:
    """A measurement's numeric values over time: count, min, max and avg per time bucket.

    The bucket width is the range divided by ``buckets``, rounded up to 1, 2 or
    5 times a power of ten nanoseconds; buckets start at multiples of it, and only
    buckets holding points are listed. Computed in the warehouse: no raw points
    are sent. Give ``station_id`` to read only that station's part of the table.
    """
    if not name:
        raise BadParameter("name", name or "", "the name of a measurement")
    series_filters = series_queries.SeriesFilters(
        name=name,
        station_id=station_id or None,
        run_id=run_id or None,
        dut_serial=dut_serial or None,
        since_ns=time_bound("since", since),
        until_ns=time_bound("until", until),
    )
    if output == "json":
        return Response(series_queries.series(warehouse, series_filters, buckets=buckets))
    found = series_queries.series_table(warehouse, series_filters, buckets=buckets)
    headers = {"X-Bucket-Ns": str(found.bucket_ns)} if found.bucket_ns is not None else {}
    return tabular(request, found.table, output, headers=headers)


@get(
    "/api/duts/{serial:str}",
    sync_to_thread=True,
    tags=["duts"],
    responses={400: BAD_PARAMETER, 404: NOT_FOUND},
    dependencies=filters(DUTS),
    operation_class=TabularOperation,
)
def dut_history(
    warehouse: NamedDependency[Warehouse],
    request: Req,
    serial: FromPath[str],
    filters: NamedDependency[FilterValues],
    output: NamedDependency[OutputFormat],
    *,
    limit: Annotated[
        int, QueryParameter(ge=1, le=10_000, description="Most runs listed (the newest).")
    ] = 1000,
    failed_limit: Annotated[
        int,
        QueryParameter(ge=0, le=10_000, description="Most failed points listed per run."),
    ] = 100,
) -> Response[DutHistory]:
    """Every run of one DUT serial across stations, oldest first.

    Each run has its outcome, station, test phase, ``attempt`` (1 for the first
    test of the serial in that phase, 2 for the first retest...) and its failed
    measurements (name, value, limits, unit, step). Unknown serial: 404. In the
    tabular formats, one row per run, ``failed_measurements`` as JSON text.
    """
    return answer(
        request,
        output,
        lambda: dut_queries.dut_history(
            warehouse, serial, filters, limit=limit, failed_limit=failed_limit
        ),
        lambda nesting: dut_queries.dut_table(
            warehouse, serial, filters, limit=limit, failed_limit=failed_limit, nesting=nesting
        ),
    )


MEASUREMENT_ROUTES = [list_measurements, measurement_series, dut_history]
"""Routes over measured points and DUTs."""

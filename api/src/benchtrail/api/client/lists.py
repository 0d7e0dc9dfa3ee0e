"""The list methods of :class:`benchtrail.api.EventStore`: stations, sessions, events, runs
and measurements.

Each returns typed Structs by default (a :class:`Records`, with ``.to_polars()``),
or, with ``as_polars=True``, a polars DataFrame read from the server's Arrow
answer (``format=arrow``): no per-row decoding. The two
have the same columns, except that Arrow keeps the nanosecond precision of
times and gives mappings (``packages``, ``custom_metadata``) as JSON text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar, Unpack, overload

import msgspec

from benchtrail.api.client.base import QueryValue, path_segment
from benchtrail.api.client.filters import (
    EventQuery,
    MeasurementQuery,
    RunQuery,
    SessionQuery,
    StationQuery,
    query_of,
)
from benchtrail.api.client.tables import PAGE_SIZE, TableClient
from benchtrail.api.errors import BadParameter
from benchtrail.api.models.entities import (
    MeasurementPage,
    MeasurementRow,
    RunPage,
    RunSummary,
    SessionPage,
    SessionSummary,
    StationSummary,
)
from benchtrail.api.models.filters import EVENTS, MEASUREMENTS, RUNS, SESSIONS, STATIONS
from benchtrail.api.models.records import Records
from benchtrail.schemas import Event, EventUnion

if TYPE_CHECKING:
    import polars as pl

MAX_POINT_PAGE = 100_000
"""Largest page of ``/api/measurements``."""

_Item = TypeVar("_Item", bound=msgspec.Struct)
_Item_co = TypeVar("_Item_co", bound=msgspec.Struct, covariant=True)


class _Page(Protocol[_Item_co]):
    @property
    def items(self) -> Sequence[_Item_co]: ...  # pragma: no cover

    @property
    def next_cursor(self) -> str | None: ...  # pragma: no cover


_stations = msgspec.json.Decoder(list[StationSummary])
_session_pages = msgspec.json.Decoder(SessionPage)
_run_pages = msgspec.json.Decoder(RunPage)
_measurement_pages = msgspec.json.Decoder(MeasurementPage)
_events = msgspec.json.Decoder(list[EventUnion])


class ListMethods(TableClient):
    """The list questions of :class:`benchtrail.api.EventStore`."""

    @overload
    def stations(
        self, *, as_polars: Literal[False] = False, **filters: Unpack[StationQuery]
    ) -> Records[StationSummary]: ...
    @overload
    def stations(
        self, *, as_polars: Literal[True], **filters: Unpack[StationQuery]
    ) -> pl.DataFrame: ...
    def stations(
        self, *, as_polars: bool = False, **filters: Unpack[StationQuery]
    ) -> Records[StationSummary] | pl.DataFrame:
        """Every station that has opened a session (matching ``filters``), by id."""
        query = query_of(filters, STATIONS)
        if as_polars:
            return self._frame("/api/stations", query)
        stations = _stations.decode(self._get("/api/stations", query))
        return Records(stations, item_type=StationSummary)

    @overload
    def sessions(
        self,
        *,
        limit: int | None = 100,
        cursor: str | None = None,
        as_polars: Literal[False] = False,
        **filters: Unpack[SessionQuery],
    ) -> Records[SessionSummary]: ...
    @overload
    def sessions(
        self,
        *,
        limit: int | None = 100,
        cursor: str | None = None,
        as_polars: Literal[True],
        **filters: Unpack[SessionQuery],
    ) -> pl.DataFrame: ...
    def sessions(
        self,
        *,
        limit: int | None = 100,
        cursor: str | None = None,
        as_polars: bool = False,
        **filters: Unpack[SessionQuery],
    ) -> Records[SessionSummary] | pl.DataFrame:
        """Sessions, newest first, up to ``limit`` of them (None: all), after ``cursor``.

        Filters (:class:`SessionQuery`): ``station_id``, ``session_type``,
        ``operator_id``, ``git_commit`` (prefix), ``project_name``, ``dut_serial``,
        ``since``/``until`` (start time).
        """
        query = query_of(filters, SESSIONS)
        if as_polars:
            return self._frame_pages("/api/sessions", query, limit=limit, cursor=cursor)
        return self._pages(
            "/api/sessions",
            decode=_session_pages.decode,
            item_type=SessionSummary,
            query=query,
            limit=limit,
            cursor=cursor,
        )

    @overload
    def events(
        self,
        session_id: str,
        *,
        after_seq: int = 0,
        limit: int | None = 100,
        as_polars: Literal[False] = False,
        **filters: Unpack[EventQuery],
    ) -> Records[EventUnion]: ...
    @overload
    def events(
        self,
        session_id: str,
        *,
        after_seq: int = 0,
        limit: int | None = 100,
        as_polars: Literal[True],
        **filters: Unpack[EventQuery],
    ) -> pl.DataFrame: ...
    def events(
        self,
        session_id: str,
        *,
        after_seq: int = 0,
        limit: int | None = 100,
        as_polars: bool = False,
        **filters: Unpack[EventQuery],
    ) -> Records[EventUnion] | pl.DataFrame:
        """A session's events in ``seq`` order, decoded into the benchtrail event Structs.

        Filters (:class:`EventQuery`): ``event_type``, ``run_id``, ``since``/``until``.
        As a DataFrame: one row per event, its envelope and ``payload`` (JSON text).
        """
        path = f"/api/sessions/{path_segment('session_id', session_id)}/events"
        query = query_of(filters, EVENTS)
        missing = ("session", session_id)
        if as_polars:
            return self._frame_pages(
                path,
                query,
                limit=limit,
                cursor=str(after_seq),
                cursor_parameter="after_seq",
                missing=missing,
            )
        _check_limit(limit)
        events: list[EventUnion] = []
        next_seq: int | None = after_seq
        while next_seq is not None and (limit is None or len(events) < limit):
            page_query = {**query, "after_seq": next_seq, "limit": _page_size(limit, len(events))}
            response = self._request(path, page_query, missing=missing)
            events.extend(_events.decode(response.content))
            header = response.headers.get("X-Next-After-Seq")
            next_seq = int(header) if header is not None else None
        next_cursor = str(next_seq) if next_seq is not None else None
        return Records(events, item_type=Event, next_cursor=next_cursor)

    @overload
    def runs(
        self,
        *,
        limit: int | None = 100,
        cursor: str | None = None,
        as_polars: Literal[False] = False,
        **filters: Unpack[RunQuery],
    ) -> Records[RunSummary]: ...
    @overload
    def runs(
        self,
        *,
        limit: int | None = 100,
        cursor: str | None = None,
        as_polars: Literal[True],
        **filters: Unpack[RunQuery],
    ) -> pl.DataFrame: ...
    def runs(
        self,
        *,
        limit: int | None = 100,
        cursor: str | None = None,
        as_polars: bool = False,
        **filters: Unpack[RunQuery],
    ) -> Records[RunSummary] | pl.DataFrame:
        """Runs, newest first, up to ``limit`` of them (None: all), after ``cursor``.

        Filters (:class:`RunQuery`): ``station_id``, ``session_id``, ``operator_id``,
        ``dut_serial``, ``part_number``, ``lot_number``, ``product_id``,
        ``product_name``, ``test_phase``, ``project_name``, ``git_commit`` (prefix),
        ``outcome`` (passed, failed, error, aborted or running), ``since``/``until``.
        """
        query = query_of(filters, RUNS)
        if as_polars:
            return self._frame_pages("/api/runs", query, limit=limit, cursor=cursor)
        return self._pages(
            "/api/runs",
            decode=_run_pages.decode,
            item_type=RunSummary,
            query=query,
            limit=limit,
            cursor=cursor,
        )

    @overload
    def measurements(
        self,
        *,
        limit: int | None = 1000,
        cursor: str | None = None,
        as_polars: Literal[False] = False,
        **filters: Unpack[MeasurementQuery],
    ) -> Records[MeasurementRow]: ...
    @overload
    def measurements(
        self,
        *,
        limit: int | None = 1000,
        cursor: str | None = None,
        as_polars: Literal[True],
        **filters: Unpack[MeasurementQuery],
    ) -> pl.DataFrame: ...
    def measurements(
        self,
        *,
        limit: int | None = 1000,
        cursor: str | None = None,
        as_polars: bool = False,
        **filters: Unpack[MeasurementQuery],
    ) -> Records[MeasurementRow] | pl.DataFrame:
        """Measured points in the table's order (station, name, time), up to ``limit``.

        Filters (:class:`MeasurementQuery`): ``station_id``, ``name``, ``run_id``,
        ``session_id``, ``outcome`` (passed, failed, unset), the run's ``dut_serial``,
        ``part_number``, ``lot_number``, ``product_id``, ``test_phase``,
        ``project_name``, and ``since``/``until`` (the point's time). For millions
        of points, :meth:`export_batches` streams them instead.
        """
        query = query_of(filters, MEASUREMENTS)
        if as_polars:
            return self._frame_pages(
                "/api/measurements",
                query,
                limit=limit,
                cursor=cursor,
                page_size=MAX_POINT_PAGE,
            )
        return self._pages(
            "/api/measurements",
            decode=_measurement_pages.decode,
            item_type=MeasurementRow,
            query=query,
            limit=limit,
            cursor=cursor,
            page_size=MAX_POINT_PAGE,
        )

    def _pages(
        self,
        path: str,
        *,
        decode: Callable[[bytes], _Page[_Item]],
        item_type: type[_Item],
        query: dict[str, QueryValue],
        limit: int | None,
        cursor: str | None,
        page_size: int = PAGE_SIZE,
    ) -> Records[_Item]:
        """Follow ``next_cursor`` from ``cursor`` until ``limit`` items or the last page."""
        _check_limit(limit)
        records = Records[_Item](item_type=item_type, next_cursor=cursor)
        while limit is None or len(records) < limit:
            page_query = {**query, "limit": _page_size(limit, len(records), page_size)}
            if records.next_cursor is not None:
                page_query["cursor"] = records.next_cursor
            page = decode(self._get(path, page_query))
            records.extend(page.items)
            records.next_cursor = page.next_cursor
            if page.next_cursor is None:
                break
        return records


def _check_limit(limit: int | None) -> None:
    if limit is not None and limit < 0:
        raise BadParameter("limit", limit, "a count >= 0, or None for all")


def _page_size(limit: int | None, have: int, page_size: int = PAGE_SIZE) -> int:
    return page_size if limit is None else max(0, min(page_size, limit - have))

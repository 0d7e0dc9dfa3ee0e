"""A DUT's history and series for charts: the other questions of :class:`EventStore`.

Like the list methods they return typed Structs by default, or a polars
DataFrame read from the server's Arrow answer with ``as_polars=True``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Unpack, overload

import msgspec

from benchtrail.api.client.base import path_segment
from benchtrail.api.client.filters import DutQuery, TimeBound, query_of, query_values
from benchtrail.api.client.tables import TableClient
from benchtrail.api.models.entities import DutHistory, Series, SeriesBucket
from benchtrail.api.models.filters import DUTS
from benchtrail.api.models.records import Records

if TYPE_CHECKING:
    import polars as pl

_dut = msgspec.json.Decoder(DutHistory)
_series = msgspec.json.Decoder(Series)


class HistoryMethods(TableClient):
    """A DUT's history and a measurement's series, for :class:`benchtrail.api.EventStore`."""

    @overload
    def dut(
        self,
        serial: str,
        *,
        limit: int = 1000,
        failed_limit: int = 100,
        as_polars: Literal[False] = False,
        **filters: Unpack[DutQuery],
    ) -> DutHistory: ...
    @overload
    def dut(
        self,
        serial: str,
        *,
        limit: int = 1000,
        failed_limit: int = 100,
        as_polars: Literal[True],
        **filters: Unpack[DutQuery],
    ) -> pl.DataFrame: ...
    def dut(
        self,
        serial: str,
        *,
        limit: int = 1000,
        failed_limit: int = 100,
        as_polars: bool = False,
        **filters: Unpack[DutQuery],
    ) -> DutHistory | pl.DataFrame:
        """Every run of a DUT serial across stations, oldest first (the newest ``limit``).

        Each run carries its ``attempt`` in its test phase (1, 2 for the first
        retest...) and up to ``failed_limit`` failed measurements. Filters
        (:class:`DutQuery`): ``station_id``, ``test_phase``, ``since``/``until``.
        As a DataFrame, ``failed_measurements`` is JSON text.

        Raises:
            NotFound: the serial has no run.
        """
        path = f"/api/duts/{path_segment('serial', serial)}"
        query = {
            **query_of(filters, DUTS),
            "limit": limit,
            "failed_limit": failed_limit,
        }
        if as_polars:
            return self._frame(path, query, missing=("dut", serial))
        return _dut.decode(self._get(path, query, missing=("dut", serial)))

    @overload
    def series(
        self,
        name: str,
        *,
        station_id: str | None = None,
        run_id: str | None = None,
        dut_serial: str | None = None,
        since: TimeBound | None = None,
        until: TimeBound | None = None,
        buckets: int = 500,
        as_polars: Literal[False] = False,
    ) -> Records[SeriesBucket]: ...
    @overload
    def series(
        self,
        name: str,
        *,
        station_id: str | None = None,
        run_id: str | None = None,
        dut_serial: str | None = None,
        since: TimeBound | None = None,
        until: TimeBound | None = None,
        buckets: int = 500,
        as_polars: Literal[True],
    ) -> pl.DataFrame: ...
    def series(
        self,
        name: str,
        *,
        station_id: str | None = None,
        run_id: str | None = None,
        dut_serial: str | None = None,
        since: TimeBound | None = None,
        until: TimeBound | None = None,
        buckets: int = 500,
        as_polars: bool = False,
    ) -> Records[SeriesBucket] | pl.DataFrame:
        """A measurement's values over time: count, min, max, avg per time bucket.

        At most ``buckets`` buckets (1 to 5000) over ``[since, until)`` (default:
        from the first to the last point), aligned on multiples of their width;
        computed by the warehouse. ``station_id`` makes the read cheapest.
        """
        filters = {
            "station_id": station_id,
            "run_id": run_id,
            "dut_serial": dut_serial,
            "since": since,
            "until": until,
        }
        query = {**query_values(filters), "name": name, "buckets": buckets}
        if as_polars:
            return self._frame("/api/measurements/series", query)
        series = _series.decode(self._get("/api/measurements/series", query))
        return Records(series.items, item_type=SeriesBucket)

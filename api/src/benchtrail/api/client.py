"""``EventStore``: the synchronous Python client of the benchtrail HTTP API.

Example:
    >>> from benchtrail.api import EventStore
    >>> store = EventStore("http://127.0.0.1:8000")
    >>> failed = store.runs(dut_serial="SN123", outcome="failed")
    >>> failed.to_polars()

List methods follow the server's pages for you: they return up to ``limit``
items (``limit=None``: all of them) and the returned :class:`Records` carries
``next_cursor`` to continue from where they stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar
from urllib.parse import quote

import msgspec

from benchtrail.agents.workflows.experiment import (
    METADATA_KEY,
    Experiment,
    ExperimentMetadata,
)
from benchtrail.api.client_analytics import AnalyticsMethods
from benchtrail.api.client_base import ClientBase, QueryValue
from benchtrail.api.errors import BadParameter, NotFound
from benchtrail.api.models import (
    Health,
    LockView,
    RunDetail,
    RunPage,
    RunSummary,
    SessionDetail,
    SessionPage,
    SessionSummary,
    StationSummary,
)
from benchtrail.api.params import datetime_to_ns
from benchtrail.api.records import Records
from benchtrail.schemas import Event, EventUnion

PAGE_SIZE = 1000
"""Largest page the server returns; longer requests are split into pages of this size."""

TimeBound = datetime | int | str
"""A ``since``/``until`` bound: a datetime (naive = UTC), ns since the epoch, or ISO text."""

_Item = TypeVar("_Item", bound=msgspec.Struct)
_Item_co = TypeVar("_Item_co", bound=msgspec.Struct, covariant=True)


class _Page(Protocol[_Item_co]):
    @property
    def items(self) -> Sequence[_Item_co]: ...  # pragma: no cover

    @property
    def next_cursor(self) -> str | None: ...  # pragma: no cover


_session_pages = msgspec.json.Decoder(SessionPage)
_run_pages = msgspec.json.Decoder(RunPage)
_session_detail = msgspec.json.Decoder(SessionDetail)
_run_detail = msgspec.json.Decoder(RunDetail)
_stations = msgspec.json.Decoder(list[StationSummary])
_events_decoder = msgspec.json.Decoder(list[EventUnion])
_health_decoder = msgspec.json.Decoder(dict[str, object])
_health_decoder = msgspec.json.Decoder(dict[str, object])


class EventStore(AnalyticsMethods, ClientBase):
    """Read stations, sessions, events and runs from a benchtrail API.

    Args:
        url: base URL of the API (``benchtrail up`` serves ``http://127.0.0.1:8000``).
        timeout: seconds to wait for each HTTP request.
        transport: an httpx transport, e.g. ``httpx.ASGITransport`` in tests.

    Raises (from every method):
        ApiUnavailable: the API cannot be reached or failed (HTTP 5xx).
        NotFound: the session or run does not exist.
        BadParameter: the server refused a parameter; its message says why.
    """

    def health(self) -> Health:
        """The API's status, whether its warehouse answers, and the hub's statistics."""
        body = _health_decoder.decode(self._get("/api/health"))
        status, warehouse = body.pop("status", None), body.pop("warehouse", None)
        return msgspec.convert({"status": status, "warehouse": warehouse, "extra": body}, Health)

    def stations(self) -> Records[StationSummary]:
        """Every station that has opened a session."""
        stations = _stations.decode(self._get("/api/stations"))
        return Records(stations, item_type=StationSummary)

    def sessions(
        self,
        *,
        station_id: str | None = None,
        session_type: str | None = None,
        operator_id: str | None = None,
        since: TimeBound | None = None,
        until: TimeBound | None = None,
        limit: int | None = 100,
        cursor: str | None = None,
    ) -> Records[SessionSummary]:
        """Sessions, newest first, started in ``[since, until)``, up to ``limit`` of them."""
        query = _query(
            station_id=station_id,
            session_type=session_type,
            operator_id=operator_id,
            since=_time(since),
            until=_time(until),
        )
        return self._pages(
            "/api/sessions",
            decode=_session_pages.decode,
            item_type=SessionSummary,
            query=query,
            limit=limit,
            cursor=cursor,
        )

    def session(self, session_id: str, *, run_limit: int = 1000) -> SessionDetail:
        """One session with its newest ``run_limit`` runs and its totals."""
        path = f"/api/sessions/{_segment(session_id)}"
        body = self._get(path, {"run_limit": run_limit}, missing=("session", session_id))
        return _session_detail.decode(body)

    def events(
        self,
        session_id: str,
        *,
        event_type: str | None = None,
        after_seq: int = 0,
        limit: int | None = 100,
    ) -> Records[EventUnion]:
        """A session's events in ``seq`` order, decoded into the benchtrail event Structs."""
        path = f"/api/sessions/{_segment(session_id)}/events"
        _check_limit(limit)
        events: list[EventUnion] = []
        next_seq: int | None = after_seq
        while next_seq is not None and (limit is None or len(events) < limit):
            size = _page_size(limit, len(events))
            query = _query(event_type=event_type, after_seq=next_seq, limit=size)
            response = self._request(path, query, missing=("session", session_id))
            events.extend(_events_decoder.decode(response.content))
            header = response.headers.get("X-Next-After-Seq")
            next_seq = int(header) if header is not None else None
        next_cursor = str(next_seq) if next_seq is not None else None
        return Records(events, item_type=Event, next_cursor=next_cursor)

    def runs(
        self,
        *,
        dut_serial: str | None = None,
        part_number: str | None = None,
        outcome: str | None = None,
        station_id: str | None = None,
        session_id: str | None = None,
        since: TimeBound | None = None,
        until: TimeBound | None = None,
        limit: int | None = 100,
        cursor: str | None = None,
    ) -> Records[RunSummary]:
        """Runs, newest first; ``outcome`` is passed/failed/error/aborted or ``running``."""
        query = _query(
            dut_serial=dut_serial,
            part_number=part_number,
            outcome=outcome,
            station_id=station_id,
            session_id=session_id,
            since=_time(since),
            until=_time(until),
        )
        return self._pages(
            "/api/runs",
            decode=_run_pages.decode,
            item_type=RunSummary,
            query=query,
            limit=limit,
            cursor=cursor,
        )

    def run(self, run_id: str, *, measurement_limit: int = 10_000) -> RunDetail:
        """One run with its steps and its first ``measurement_limit`` measurements."""
        path = f"/api/runs/{_segment(run_id)}"
        body = self._get(path, {"measurement_limit": measurement_limit}, missing=("run", run_id))
        return _run_detail.decode(body)

    def wait_for_run(self, run_id: str, timeout: float = 30.0) -> RunDetail:
        """Wait until the warehouse holds the run's end (and so everything recorded in it).

        Raises:
            TimeoutError: the run has not ended in the warehouse after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        pause = 0.05
        while True:
            try:
                run = self.run(run_id, measurement_limit=0)
                if run.status == "ended":
                    return run
            except NotFound:
                pass
            if time.monotonic() + pause > deadline:
                raise TimeoutError(
                    f"run {run_id!r} has not ended in the warehouse after {timeout:g} s"
                )
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    def experiment(self, run_id: str) -> Experiment:
        """An experiment run read back: the same ``data`` DataFrame ``run()`` returned.

        Its ``metadata`` holds the ids, parameters, units and outcome, and ``records``
        the values recorded with ``session.record(key, value)``.
        """
        import polars as pl
        import pyarrow as pa

        path = f"/api/runs/{_segment(run_id)}/experiment"
        body = self._get(path, {"format": "arrow"}, missing=("run", run_id))
        table = pa.ipc.open_stream(body).read_all()
        meta = _experiment_meta.decode((table.schema.metadata or {})[METADATA_KEY])
        frame = pl.from_arrow(table.replace_schema_metadata(None))
        assert isinstance(frame, pl.DataFrame)
        return Experiment(meta.experiment, frame, meta.records)

    def _pages(
        self,
        path: str,
        *,
        decode: Callable[[bytes], _Page[_Item]],
        item_type: type[_Item],
        query: dict[str, QueryValue],
        limit: int | None,
        cursor: str | None,
    ) -> Records[_Item]:
        """Follow ``next_cursor`` from ``cursor`` until ``limit`` items or the last page."""
        _check_limit(limit)
        records = Records[_Item](item_type=item_type, next_cursor=cursor)
        while limit is None or len(records) < limit:
            page_query = {**query, "limit": _page_size(limit, len(records))}
            if records.next_cursor is not None:
                page_query["cursor"] = records.next_cursor
            page = decode(self._get(path, page_query))
            records.extend(page.items)
            records.next_cursor = page.next_cursor
            if page.next_cursor is None:
                break
        return records

    def locks(self) -> Records[LockView]:
        """Who holds which instrument now (the hub's ``bt_locks`` bucket)."""
        return Records(_locks.decode(self._get("/api/locks")), item_type=LockView)

    def release_lock(self, key: str, by: str) -> LockView:
        """Break the lock ``key`` whoever holds it; recorded with ``by`` as who broke it."""
        path = f"/api/locks/{_segment(key)}/release"
        response = self._request(
            path, {"force": "true", "by": by}, missing=("lock", key), method="POST"
        )
        return _lock.decode(response.content)


_locks = msgspec.json.Decoder(list[LockView])
_experiment_meta = msgspec.json.Decoder(ExperimentMetadata)
_lock = msgspec.json.Decoder(LockView)


def _check_limit(limit: int | None) -> None:
    if limit is not None and limit < 0:
        raise BadParameter("limit", limit, "a count >= 0, or None for all")


def _page_size(limit: int | None, have: int) -> int:
    return PAGE_SIZE if limit is None else max(0, min(PAGE_SIZE, limit - have))


def _time(bound: TimeBound | None) -> QueryValue | None:
    if isinstance(bound, datetime):
        return datetime_to_ns(bound)
    return bound


def _query(**values: QueryValue | None) -> dict[str, QueryValue]:
    return {name: value for name, value in values.items() if value is not None}


def _segment(identifier: str) -> str:
    """An id as one URL path segment (``/`` and friends percent-encoded)."""
    return quote(identifier, safe="")

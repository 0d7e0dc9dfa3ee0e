"""``EventStore``: the synchronous Python client of the benchtrail HTTP API.

Example:
    >>> from benchtrail.api import EventStore
    >>> store = EventStore("http://127.0.0.1:8000")
    >>> failed = store.runs(dut_serial="SN123", outcome="failed")
    >>> failed.to_polars()

List methods (:mod:`benchtrail.api.client.lists`) follow the server's pages for
you: they return up to ``limit`` items (``limit=None``: all of them) and the
returned :class:`Records` carries ``next_cursor`` to continue from where they
stopped; ``as_polars=True`` returns a polars DataFrame read from Arrow instead.
"""

from __future__ import annotations

import time
from typing import Unpack

import msgspec

from benchtrail.api.client.analytics import AnalyticsMethods
from benchtrail.api.client.attachments import AttachmentMethods
from benchtrail.api.client.base import ClientBase, path_segment
from benchtrail.api.client.data import DataMethods
from benchtrail.api.client.deadletters import DeadLetterMethods
from benchtrail.api.client.file_contents import FileContentMethods
from benchtrail.api.client.filters import LogQuery, TimeBound, query_of
from benchtrail.api.client.health import HealthMethods
from benchtrail.api.client.history import HistoryMethods
from benchtrail.api.client.lists import ListMethods
from benchtrail.api.client.measurement_tables import MeasurementTableMethods
from benchtrail.api.client.tables import PAGE_SIZE
from benchtrail.api.errors import NotFound
from benchtrail.api.models.entities import (
    Health,
    LockView,
    RunDetail,
    SessionDetail,
)
from benchtrail.api.models.filters import LOGS
from benchtrail.api.models.logs import LogLine
from benchtrail.api.models.records import Records
from benchtrail.schemas import METADATA_KEY, Experiment, ExperimentMetadata

__all__ = ["PAGE_SIZE", "EventStore", "TimeBound"]

_session_detail = msgspec.json.Decoder(SessionDetail)
_run_detail = msgspec.json.Decoder(RunDetail)
_log_lines = msgspec.json.Decoder(list[LogLine])
_health_decoder = msgspec.json.Decoder(dict[str, object])


class EventStore(
    ListMethods,
    HistoryMethods,
    AnalyticsMethods,
    DataMethods,
    HealthMethods,
    DeadLetterMethods,
    MeasurementTableMethods,
    AttachmentMethods,
    FileContentMethods,
    ClientBase,
):
    """Read stations, sessions, events, runs, measurements and DUTs from a benchtrail API.

    Args:
        url: base URL of the API; default ``$BENCHTRAIL_API``, else
            ``http://127.0.0.1:8000`` (where ``benchtrail up`` serves it).
        token: the API token (``Authorization: Bearer``); default ``$BENCHTRAIL_TOKEN``.
        timeout: seconds to wait for each HTTP request.
        transport: an httpx transport, e.g. ``httpx.ASGITransport`` in tests.

    Raises (from every method):
        ApiUnavailable: the API cannot be reached or failed (HTTP 5xx).
        NotFound: the session or run does not exist.
        BadParameter: the server refused a parameter; its message says why.
        NotSignedIn: the API needs a token and got none, or an unknown one (HTTP 401).
        RoleRequired: the token's role is too weak; the error names the role needed (403).
    """

    def health(self) -> Health:
        """The API's status, whether its warehouse answers, and the hub's statistics."""
        body = _health_decoder.decode(self._get("/api/health"))
        status, warehouse = body.pop("status", None), body.pop("warehouse", None)
        reasons = body.pop("reasons", [])
        health = {"status": status, "warehouse": warehouse, "reasons": reasons, "extra": body}
        return msgspec.convert(health, Health)

    def session(self, session_id: str, *, run_limit: int = 1000) -> SessionDetail:
        """One session with its newest ``run_limit`` runs and its totals."""
        path = f"/api/sessions/{path_segment('session_id', session_id)}"
        body = self._get(path, {"run_limit": run_limit}, missing=("session", session_id))
        return _session_detail.decode(body)

    def run(self, run_id: str, *, measurement_limit: int = 10_000) -> RunDetail:
        """One run with its steps and its first ``measurement_limit`` measurements."""
        path = f"/api/runs/{path_segment('run_id', run_id)}"
        body = self._get(path, {"measurement_limit": measurement_limit}, missing=("run", run_id))
        return _run_detail.decode(body)

    def logs(self, run_id: str, *, limit: int = 1000, **filters: Unpack[LogQuery]) -> list[LogLine]:
        """A run's first ``limit`` log lines (at most 10,000) in time order.

        Filters (:class:`LogQuery`): ``level``, ``logger``, ``since``/``until``.
        """
        path = f"/api/runs/{path_segment('run_id', run_id)}/logs"
        query = {**query_of(filters, LOGS), "limit": limit}
        return _log_lines.decode(self._get(path, query, missing=("run", run_id)))

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

        path = f"/api/runs/{path_segment('run_id', run_id)}/experiment"
        body = self._get(path, {"format": "arrow"}, missing=("run", run_id))
        table = pa.ipc.open_stream(body).read_all()
        meta = msgspec.json.decode(
            (table.schema.metadata or {})[METADATA_KEY], type=ExperimentMetadata
        )
        frame = pl.from_arrow(table.replace_schema_metadata(None))
        assert isinstance(frame, pl.DataFrame)
        return Experiment(meta.experiment, frame, meta.records)

    def locks(self) -> Records[LockView]:
        """Who holds which instrument now (the hub's ``bt_locks`` bucket)."""
        return Records(_locks.decode(self._get("/api/locks")), item_type=LockView)

    def release_lock(self, key: str, by: str = "") -> LockView:
        """Break the lock ``key``: an admin token any lock, an operator one its own session holds.

        Recorded as ``lock.released`` with ``broken_by``: the token's name, or on a hub
        without tokens ``by`` (if given).
        """
        path = f"/api/locks/{path_segment('key', key)}/release"
        query = {"force": "true", "by": by} if by else {"force": "true"}
        response = self._request(path, query, missing=("lock", key), method="POST")
        return _lock.decode(response.content)


_locks = msgspec.json.Decoder(list[LockView])
_lock = msgspec.json.Decoder(LockView)

"""Rows of the ``logs`` table: one per ``log`` event (see :mod:`benchtrail.projector.rows`)."""

from __future__ import annotations

from benchtrail.projector.table_model import Columns
from benchtrail.schemas import Log


def logs(events: list[Log], seqs: list[int]) -> list[Columns]:
    """The log lines of a batch, with their session, run and time."""
    return [
        {
            "station_id": [e.station_id for e in events],
            "session_id": [e.session_id for e in events],
            "run_id": [e.run_id for e in events],
            "at": [e.occurred_at for e in events],
            "seq": [e.seq for e in events],
            "level": [e.level for e in events],
            "logger": [e.logger for e in events],
            "message": [e.message for e in events],
            "source": [e.source for e in events],
            "event_id": [e.event_id for e in events],
            "stream_seq": seqs,
        }
    ]

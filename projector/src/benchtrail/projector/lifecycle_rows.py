"""Rows of the lifecycle tables: sessions, runs, steps, instrument calls and locks.

One handler per event type, each turning every event of its type in a batch into
columns at once (see :mod:`benchtrail.projector.rows`).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from benchtrail.projector.table_model import Columns
from benchtrail.schemas import (
    AttachmentAdded,
    InstrumentCall,
    LockAcquired,
    LockReleased,
    RunEnded,
    RunStarted,
    SessionEnded,
    SessionStarted,
    StepEnded,
    StepStarted,
)

_json = msgspec.json.Encoder()


def git_columns(events: Sequence[SessionStarted | RunStarted]) -> Columns:
    return {
        "git_commit": [e.git.commit for e in events],
        "git_branch": [e.git.branch for e in events],
        "git_remote": [e.git.remote for e in events],
        "git_dirty": [e.git.dirty for e in events],
        "python_version": [e.environment.python for e in events],
        "packages": [list(e.environment.packages.items()) for e in events],
    }


def sessions_started(events: list[SessionStarted], seqs: list[int]) -> list[Columns]:
    return [
        {
            "session_id": [s.session_id for s in events],
            "station_id": [s.station_id for s in events],
            "session_type": [s.session_type for s in events],
            "station_name": [s.station.name for s in events],
            "station_type": [s.station.type for s in events],
            "station_location": [s.station.location for s in events],
            "hostname": [s.station.hostname for s in events],
            "pid": [s.process.pid for s in events],
            "client_name": [s.process.client.name for s in events],
            "client_version": [s.process.client.version for s in events],
            "operator_id": [s.operator.id for s in events],
            "operator_name": [s.operator.name for s in events],
            "fixture_id": [s.fixture_id for s in events],
            "slot_count": [s.slot_count for s in events],
            "device_ids": [s.device_ids for s in events],
            **git_columns(events),
            "started_at": [s.occurred_at for s in events],
            "event_id": [s.event_id for s in events],
            "stream_seq": seqs,
        }
    ]


def sessions_ended(events: list[SessionEnded], seqs: list[int]) -> list[Columns]:
    return [
        {
            "session_id": [s.session_id for s in events],
            "station_id": [s.station_id for s in events],
            "ended_at": [s.occurred_at for s in events],
            "run_count": [s.run_count for s in events],
            "event_count": [s.event_count for s in events],
            "reason": [s.reason for s in events],
            "event_id": [s.event_id for s in events],
            "stream_seq": seqs,
        }
    ]


def runs_started(events: list[RunStarted], seqs: list[int]) -> list[Columns]:
    return [
        {
            "run_id": [r.run_id for r in events],
            "session_id": [r.session_id for r in events],
            "station_id": [r.station_id for r in events],
            "started_at": [r.occurred_at for r in events],
            "dut_serial": [r.dut.serial for r in events],
            "dut_part_number": [r.dut.part_number for r in events],
            "dut_revision": [r.dut.revision for r in events],
            "dut_lot_number": [r.dut.lot_number for r in events],
            "product_id": [r.product.id for r in events],
            "product_name": [r.product.name for r in events],
            "product_revision": [r.product.revision for r in events],
            "slot_id": [r.slot.id for r in events],
            "slot_index": [r.slot.index for r in events],
            "fixture_id": [r.fixture_id for r in events],
            "test_phase": [r.test_phase for r in events],
            "project_name": [r.project_name for r in events],
            **git_columns(events),
            "custom_metadata": [_json.encode(r.custom_metadata).decode() for r in events],
            "channel_refs": [r.channel_refs for r in events],
            "parameters": [_json.encode(r.parameters).decode() for r in events],
            "event_id": [r.event_id for r in events],
            "stream_seq": seqs,
            "structured_metadata": [r.structured_metadata for r in events],
        }
    ]


def runs_ended(events: list[RunEnded], seqs: list[int]) -> list[Columns]:
    return [
        {
            "run_id": [r.run_id for r in events],
            "session_id": [r.session_id for r in events],
            "station_id": [r.station_id for r in events],
            "ended_at": [r.occurred_at for r in events],
            "outcome": [r.outcome for r in events],
            "measurement_count": [r.measurement_count for r in events],
            "failed_measurement_count": [r.failed_measurement_count for r in events],
            "step_count": [r.step_count for r in events],
            "duration_ns": [r.duration_ns for r in events],
            "error": [r.error for r in events],
            "event_id": [r.event_id for r in events],
            "stream_seq": seqs,
        }
    ]


def steps(events: Sequence[StepStarted | StepEnded], seqs: list[int]) -> list[Columns]:
    ended = [e if isinstance(e, StepEnded) else None for e in events]
    return [
        {
            "step_id": [s.step_id for s in events],
            "run_id": [s.run_id for s in events],
            "session_id": [s.session_id for s in events],
            "station_id": [s.station_id for s in events],
            "name": [s.name for s in events],
            "phase": ["ended" if e else "started" for e in ended],
            "at": [s.occurred_at for s in events],
            "outcome": [e.outcome if e else "" for e in ended],
            "duration_ns": [e.duration_ns if e else 0 for e in ended],
            "error": [e.error if e else "" for e in ended],
            "event_id": [s.event_id for s in events],
            "stream_seq": seqs,
        }
    ]


def instrument_calls(events: list[InstrumentCall], seqs: list[int]) -> list[Columns]:
    return [
        {
            "station_id": [c.station_id for c in events],
            "session_id": [c.session_id for c in events],
            "run_id": [c.run_id for c in events],
            "instrument": [c.instrument for c in events],
            "resource": [c.resource for c in events],
            "command": [c.command for c in events],
            "response": [c.response for c in events],
            "duration_ns": [c.duration_ns for c in events],
            "error": [c.error for c in events],
            "fencing_token": [c.fencing_token for c in events],
            "occurred_at": [c.occurred_at for c in events],
            "event_id": [c.event_id for c in events],
            "stream_seq": seqs,
        }
    ]


def lock_events(events: Sequence[LockAcquired | LockReleased], seqs: list[int]) -> list[Columns]:
    released = [e if isinstance(e, LockReleased) else None for e in events]
    return [
        {
            "key": [e.key for e in events],
            "resource": [e.resource for e in events],
            "station_id": [e.station_id for e in events],
            "session_id": [e.session_id for e in events],
            "action": [
                ("broken" if r.broken_by else "released") if r else "acquired" for r in released
            ],
            "fencing_token": [e.fencing_token for e in events],
            "holder": [e.holder for e in events],
            "broken_by": [r.broken_by if r else "" for r in released],
            "occurred_at": [e.occurred_at for e in events],
            "event_id": [e.event_id for e in events],
            "stream_seq": seqs,
        }
    ]


def attachments(events: list[AttachmentAdded], seqs: list[int]) -> list[Columns]:
    return [
        {
            "run_id": [a.run_id for a in events],
            "name": [a.name for a in events],
            "session_id": [a.session_id for a in events],
            "station_id": [a.station_id for a in events],
            "sha256": [a.sha256 for a in events],
            "size_bytes": [a.size_bytes for a in events],
            "mimetype": [a.mimetype for a in events],
            "step": [a.step for a in events],
            "attached_at": [a.occurred_at for a in events],
            "event_id": [a.event_id for a in events],
            "stream_seq": seqs,
        }
    ]

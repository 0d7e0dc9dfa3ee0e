"""Rows of the observation-window tables: files, windows, window devices, window files.

Every row is written once from one event and never updated; a window's current
state is read by ``argMax(..., seq)`` over its rows, so it does not depend on the
order rows arrive in, and replaying the stream gives the same tables. One handler
per event type, each turning every event of its type in a batch into columns at
once (see :mod:`benchtrail.projector.rows`).
"""

from __future__ import annotations

from collections.abc import Sequence

from benchtrail.projector.table_model import Columns
from benchtrail.schemas.events import (
    DeviceAttached,
    DeviceDetached,
    FileAdded,
    FileRegistered,
    FileRemoved,
    WindowCreated,
    WindowDeleted,
    WindowUpdated,
)

WindowEvent = WindowCreated | WindowUpdated | WindowDeleted


def files_registered(events: list[FileRegistered], seqs: list[int]) -> list[Columns]:
    """``file.registered`` → ``files``: the file, its dataset, extent and topics."""
    return [
        {
            "file_id": [f.file_id for f in events],
            "dataset_id": [f.dataset_id for f in events],
            "station_id": [f.station_id for f in events],
            "path": [f.path for f in events],
            "media_type": [f.media_type for f in events],
            "size_bytes": [f.size_bytes for f in events],
            "start_at": [f.start_ns for f in events],
            "end_at": [f.end_ns for f in events],
            "topic_ids": [[t.topic_id for t in f.topics] for f in events],
            "topic_names": [[t.name for t in f.topics] for f in events],
            "topic_start_ns": [[t.start_ns for t in f.topics] for f in events],
            "topic_end_ns": [[t.end_ns for t in f.topics] for f in events],
            "by": [f.by for f in events],
            "registered_at": [f.occurred_at for f in events],
            "event_id": [f.event_id for f in events],
            "stream_seq": seqs,
        }
    ]


def window_changes(events: Sequence[WindowEvent], seqs: list[int]) -> list[Columns]:
    """``window.created`` / ``window.updated`` / ``window.deleted`` → ``windows``."""
    return [
        {
            "window_id": [e.session_id for e in events],
            "station_id": [e.station_id for e in events],
            "action": [_action(e) for e in events],
            "name": [_name(e) or "" for e in events],
            "has_name": [_name(e) is not None for e in events],
            "sets_name": [_sets_name(e) for e in events],
            "project": [e.project if isinstance(e, WindowCreated) else "" for e in events],
            "by": [e.by for e in events],
            "at": [e.occurred_at for e in events],
            "seq": [e.seq for e in events],
            "event_id": [e.event_id for e in events],
            "stream_seq": seqs,
        }
    ]


def _action(event: WindowEvent) -> str:
    match event:
        case WindowCreated():
            return "created"
        case WindowUpdated():
            return "updated"
        case WindowDeleted():
            return "deleted"


def _name(event: WindowEvent) -> str | None:
    return None if isinstance(event, WindowDeleted) else event.name


def _sets_name(event: WindowEvent) -> bool:
    match event:
        case WindowCreated():
            return True
        case WindowUpdated(fields=fields):
            return "name" in fields
        case WindowDeleted():
            return False


def device_changes(
    events: Sequence[DeviceAttached | DeviceDetached], seqs: list[int]
) -> list[Columns]:
    """``device.attached`` / ``device.detached`` → ``window_devices`` (keyed by session id)."""
    return [
        {
            "window_id": [e.session_id for e in events],
            "device_id": [e.device_id for e in events],
            "kind": [e.kind if isinstance(e, DeviceAttached) else "" for e in events],
            "attached": [isinstance(e, DeviceAttached) for e in events],
            "by": [e.by for e in events],
            "at": [e.occurred_at for e in events],
            "seq": [e.seq for e in events],
            "event_id": [e.event_id for e in events],
            "stream_seq": seqs,
        }
    ]


def file_contributions(events: Sequence[FileAdded | FileRemoved], seqs: list[int]) -> list[Columns]:
    """``file.added`` / ``file.removed`` → ``window_files``: contributions and their ranges."""
    added = [e if isinstance(e, FileAdded) else None for e in events]
    return [
        {
            "window_id": [e.session_id for e in events],
            "file_id": [e.file_id for e in events],
            "added": [a is not None for a in added],
            "range_min": [a.range_min_timestamp_ns if a else None for a in added],
            "range_max": [a.range_max_timestamp_ns if a else None for a in added],
            "by": [e.by for e in events],
            "at": [e.occurred_at for e in events],
            "seq": [e.seq for e in events],
            "event_id": [e.event_id for e in events],
            "stream_seq": seqs,
        }
    ]

"""The outbox in a SQLite file (WAL mode), one per publisher, locked by its owner.

Tables: ``frames`` (the frames as cut: subject, ``Nats-Msg-Id``, seq range, payload,
when stored and when acknowledged), ``sessions`` (each session's highest stored
``seq`` and whether its ``session.ended`` is stored, so a taken-over file can close
its sessions gap-free) and ``meta`` (station, hub, owner, last publishing error).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import filelock

from benchtrail.agents.errors import OutboxUnavailable
from benchtrail.agents.publishing.frames import Frame
from benchtrail.agents.publishing.outbox import (
    OUTBOX_SUFFIX,
    OpenSession,
    Outbox,
    StoredFrame,
    WriteBatch,
)
from benchtrail.schemas import now_ns

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS frames (
    rowid INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    event_count INTEGER NOT NULL,
    subject TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    payload BLOB NOT NULL,
    stored_at_ns INTEGER NOT NULL,
    acked_at_ns INTEGER
);
CREATE INDEX IF NOT EXISTS frames_acked ON frames (acked_at_ns);
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    ended INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_INSERT = (
    "INSERT INTO frames (rowid, session_id, first_seq, last_seq, event_count, subject, msg_id,"
    " payload, stored_at_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_MARK_ACKED = "UPDATE frames SET acked_at_ns = ? WHERE rowid = ? AND acked_at_ns IS NULL"
_EVICT = "DELETE FROM frames WHERE acked_at_ns < ? RETURNING length(payload)"

EVICT_EVERY_NS = 500_000_000
"""Acknowledged frames past ``keep_acked`` are deleted at most this often (ns)."""
_UPSERT_SESSION = (
    "INSERT INTO sessions (session_id, last_seq, ended) VALUES (?, ?, ?)"
    " ON CONFLICT (session_id) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq),"
    " ended = max(ended, excluded.ended)"
)
_UPSERT_META = (
    "INSERT INTO meta (key, value) VALUES (?, ?)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
_LOAD = (
    "SELECT subject, msg_id, session_id, first_seq, last_seq, event_count, payload"
    " FROM frames WHERE rowid = ?"
)

Sync = Literal["normal", "full"]


def lock_path(path: Path) -> Path:
    """The lock file of an outbox file, held by its owner for its lifetime."""
    return path.with_name(path.name + ".lock")


def outbox_files(directory: Path) -> list[Path]:
    """The outbox files in a station's directory, oldest name first."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f"*{OUTBOX_SUFFIX}"))


def connect_db(path: Path, sync: Sync = "normal") -> sqlite3.Connection:
    """Open (and create) an outbox database in WAL mode, in autocommit mode."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA page_size=65536")  # frames are 100s of kB: fewer overflow pages (~2x)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={sync.upper()}")
    db.executescript(SCHEMA)
    return db


class SqliteOutbox(Outbox):
    """An outbox file this process owns (it holds the file's lock).

    Create one with :meth:`create` (a new file for this publisher) or
    :meth:`take_over` (an orphan left by a process that died).
    """

    def __init__(
        self, path: Path, lock: filelock.BaseFileLock, *, station_id: str, rank: int, sync: Sync
    ) -> None:
        self._path = path
        self._lock = lock
        self.station_id = station_id
        self.rank = rank
        try:
            self._db = connect_db(path, sync)
        except sqlite3.Error as e:
            lock.release()
            raise OutboxUnavailable(str(path), f"cannot open: {e}") from e
        self._reader: sqlite3.Connection | None = None
        self._bytes, self._unacked, last_rowid = self._db.execute(
            "SELECT coalesce(sum(length(payload)), 0),"
            " count(*) FILTER (WHERE acked_at_ns IS NULL), coalesce(max(rowid), 0) FROM frames"
        ).fetchone()
        self._next_rowid: int = last_rowid + 1
        self._evicted_at_ns = 0

    @classmethod
    def create(
        cls, directory: Path, station_id: str, hub: str, *, rank: int, sync: Sync = "normal"
    ) -> SqliteOutbox:
        """A new outbox file for this publisher, locked for the life of the process.

        Raises:
            OutboxUnavailable: the directory or the file cannot be created.
        """
        path = directory / f"{uuid.uuid4().hex}{OUTBOX_SUFFIX}"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            lock = filelock.FileLock(lock_path(path))
            lock.acquire(timeout=0)
        except (OSError, filelock.Timeout) as e:
            raise OutboxUnavailable(str(path), f"cannot create: {e}") from e
        outbox = cls(path, lock, station_id=station_id, rank=rank, sync=sync)
        meta = {
            "station_id": station_id,
            "hub": hub,
            "hostname": socket.gethostname(),
            "pid": str(os.getpid()),
            "created_at_ns": str(now_ns()),
        }
        outbox._db.executemany(_UPSERT_META, meta.items())
        return outbox

    @classmethod
    def take_over(
        cls, path: Path, station_id: str, *, rank: int, sync: Sync = "normal"
    ) -> SqliteOutbox | None:
        """Lock an orphan file (its owner died); ``None`` if a live process holds it."""
        lock = filelock.FileLock(lock_path(path))
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            log.info("outbox %s is held by a live process: not taken over", path)
            return None
        if not path.exists():  # deleted by its owner between listing and locking
            lock.release()
            log.info("outbox %s is gone: delivered by its owner", path)
            return None
        return cls(path, lock, station_id=station_id, rank=rank, sync=sync)

    @property
    def path(self) -> Path:
        """The SQLite file."""
        return self._path

    @property
    def stored_bytes(self) -> int:
        """Payload bytes in the file, acknowledged frames kept for a while included."""
        return int(self._bytes)

    @property
    def unacked_count(self) -> int:
        """Frames in the file not acknowledged yet."""
        return int(self._unacked)

    def write(self, batch: WriteBatch, now_ns: int) -> list[int]:
        """Store, mark acknowledged and evict in one transaction (one commit).

        Rowids are numbered here (this process is the file's only writer), so a batch
        of frames is one ``executemany``: few calls, each releasing the GIL once.
        """
        first = self._next_rowid
        rowids = list(range(first, first + len(batch.frames)))
        evict = batch.evict_before_ns > 0 and now_ns - self._evicted_at_ns >= EVICT_EVERY_NS
        with self._transaction() as db:
            if batch.frames:
                db.executemany(_INSERT, _rows(rowids, batch.frames, now_ns))
                db.executemany(_UPSERT_SESSION, _session_marks(batch.frames))
            if batch.acked:
                db.executemany(_MARK_ACKED, [(now_ns, rowid) for rowid in batch.acked])
            freed = db.execute(_EVICT, (batch.evict_before_ns,)).fetchall() if evict else []
            if batch.error:
                db.executemany(
                    _UPSERT_META, [("last_error", batch.error), ("last_error_at_ns", str(now_ns))]
                )
        self._next_rowid += len(batch.frames)
        self._evicted_at_ns = now_ns if evict else self._evicted_at_ns
        self._bytes += sum(len(f.payload) for f in batch.frames) - sum(n for (n,) in freed)
        self._unacked += len(batch.frames) - len(batch.acked)
        return rowids

    def evict_acked(self) -> int:
        """Delete every acknowledged frame; returns the bytes freed."""
        with self._transaction() as db:
            freed = db.execute(
                "DELETE FROM frames WHERE acked_at_ns IS NOT NULL RETURNING length(payload)"
            ).fetchall()
        total = int(sum(n for (n,) in freed))
        self._bytes -= total
        return total

    def load(self, rowid: int) -> Frame | None:
        """Read a frame back as stored (from the publisher's event loop, on its own connection)."""
        if self._reader is None:
            self._reader = sqlite3.connect(self._path, check_same_thread=False)
        row = self._reader.execute(_LOAD, (rowid,)).fetchone()
        if row is None:
            return None
        subject, msg_id, session_id, first_seq, last_seq, event_count, payload = row
        return Frame(subject, msg_id, session_id, first_seq, last_seq, event_count, payload)

    def unacked(self) -> list[StoredFrame]:
        """Frames not acknowledged yet, in rowid order (bytes left on disk)."""
        rows = self._db.execute(
            "SELECT rowid, event_count, length(payload) FROM frames"
            " WHERE acked_at_ns IS NULL ORDER BY rowid"
        ).fetchall()
        return [StoredFrame(self, rowid, events, size, None) for rowid, events, size in rows]

    def open_sessions(self) -> list[OpenSession]:
        """Sessions whose ``session.ended`` is not stored, with their highest stored seq."""
        rows = self._db.execute(
            "SELECT session_id, last_seq, ended FROM sessions WHERE ended = 0 ORDER BY session_id"
        ).fetchall()
        return [
            OpenSession(session_id, last_seq, bool(ended)) for session_id, last_seq, ended in rows
        ]

    def close(self, *, delete: bool) -> None:
        """Close the file; delete it when ``delete``; then release its lock."""
        if self._reader is not None:
            self._reader.close()
        self._db.close()
        if delete:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    self._path.with_name(self._path.name + suffix).unlink()
        self._lock.release()
        if delete:
            with contextlib.suppress(FileNotFoundError):
                lock_path(self._path).unlink()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _rows(rowids: list[int], frames: list[Frame], now_ns: int) -> list[tuple[object, ...]]:
    """``frames`` as rows of the ``frames`` table."""
    return [
        (
            rowid,
            f.session_id,
            f.first_seq,
            f.last_seq,
            f.event_count,
            f.subject,
            f.msg_id,
            f.payload,
            now_ns,
        )
        for rowid, f in zip(rowids, frames, strict=True)
    ]


def _session_marks(frames: list[Frame]) -> list[tuple[str, int, int]]:
    """Per session: the highest seq among ``frames`` and whether it ended."""
    marks: dict[str, tuple[int, int]] = {}
    for frame in frames:
        last_seq, ended = marks.get(frame.session_id, (0, 0))
        marks[frame.session_id] = (max(last_seq, frame.last_seq), ended or frame.ends_session)
    return [(session_id, last, ended) for session_id, (last, ended) in marks.items()]

"""The station outbox: where frames wait between being cut and being acknowledged.

Every frame is committed to the outbox before it is published and leaves it only
after JetStream acknowledged it. :class:`SqliteOutbox`
(:mod:`benchtrail.agents.publishing.sqlite_outbox`) keeps frames in a SQLite file that outlives
the process; :class:`MemoryOutbox` (``outbox: {enabled: false}``) keeps nothing and
lets the publisher hold the frames in memory, so the publisher has one code path.

Files live under ``<root>/<station id>/<uuid>.sqlite3``, one per publisher (a
process may run several stations; pytest-xdist runs several processes of one
station), so each file has one writer. The owner holds ``<file>.lock`` for its
lifetime: a file whose lock can be taken belongs to a process that died (an orphan).
"""

from __future__ import annotations

import abc
import os
from pathlib import Path

import msgspec
import platformdirs

from benchtrail.agents.publishing.frames import Frame

OUTBOX_DIR_ENV = "BENCHTRAIL_OUTBOX_DIR"
"""Environment variable naming the outbox root directory."""

DATA_DIR_ENV = "BENCHTRAIL_DATA_DIR"
"""Environment variable naming benchtrail's data directory (the outbox is ``outbox`` in it)."""

OUTBOX_SUFFIX = ".sqlite3"
"""File name ending of an outbox file."""


def outbox_root(configured: str = "") -> Path:
    """The directory holding every station's outbox files.

    Args:
        configured: ``outbox.dir`` from the station configuration, if set.

    Returns:
        ``configured``, else ``$BENCHTRAIL_OUTBOX_DIR``, else ``outbox`` in
        ``$BENCHTRAIL_DATA_DIR`` or in the user data directory.
    """
    if configured:
        return Path(configured).expanduser()
    if os.environ.get(OUTBOX_DIR_ENV):
        return Path(os.environ[OUTBOX_DIR_ENV]).expanduser()
    data_dir = os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir("benchtrail")
    return Path(data_dir).expanduser() / "outbox"


def station_outbox_dir(station_id: str, configured: str = "") -> Path:
    """The directory of one station's outbox files."""
    return outbox_root(configured) / station_id


class StoredFrame:
    """A frame the outbox holds, as the publisher tracks it until it is acknowledged.

    ``frame`` is ``None`` while its bytes are only on disk (read back with
    :meth:`Outbox.load`). ``order`` sorts frames as they are published: the outbox's
    rank (taken-over files first), then the rowid, which follows ``seq`` per session.
    """

    __slots__ = (
        "acked",
        "acked_at",
        "attempt",
        "event_count",
        "frame",
        "order",
        "outbox",
        "queued",
        "replay",
        "rowid",
        "size",
    )

    def __init__(
        self, outbox: Outbox, rowid: int, event_count: int, size: int, frame: Frame | None
    ) -> None:
        self.outbox = outbox
        self.rowid = rowid
        self.order = (outbox.rank, rowid)
        self.event_count = event_count
        self.size = size
        self.frame = frame
        self.acked = False
        self.acked_at = 0.0
        self.attempt = 0
        self.queued = False
        self.replay = False


class OpenSession(msgspec.Struct, frozen=True):
    """A session an outbox holds frames of, and the highest ``seq`` stored for it."""

    session_id: str
    last_seq: int
    ended: bool


class WriteBatch(msgspec.Struct, kw_only=True):
    """Everything the writer thread commits to one outbox in one transaction.

    Attributes:
        frames: frames cut since the last commit, in cut order.
        acked: rowids the hub acknowledged.
        evict_before_ns: delete acknowledged frames acknowledged before this time.
        error: the last publishing error, to show in ``benchtrail outbox status``.
    """

    frames: list[Frame] = []
    acked: list[int] = []
    evict_before_ns: int = 0
    error: str = ""


class Outbox(abc.ABC):
    """Where a publisher's frames wait for their acknowledgement.

    Every method but :meth:`load` is called from one thread (the publisher's writer).

    Attributes:
        rank: publishing order between outboxes (lower first: taken-over files go first).
        station_id: the station whose frames these are.
    """

    rank: int
    station_id: str

    @property
    @abc.abstractmethod
    def path(self) -> Path | None:
        """The file, or ``None`` when frames are kept in memory only."""

    @property
    def persistent(self) -> bool:
        """Whether frames survive the process."""
        return self.path is not None

    @abc.abstractmethod
    def write(self, batch: WriteBatch, now_ns: int) -> list[int]:
        """Store frames, mark acknowledged ones and evict old ones in one transaction.

        Returns:
            The rowids of ``batch.frames``, in order.
        """

    @abc.abstractmethod
    def load(self, rowid: int) -> Frame | None:
        """Read a stored frame back, byte-identical (``None`` once it is gone)."""

    @abc.abstractmethod
    def unacked(self) -> list[StoredFrame]:
        """Frames not acknowledged yet, in rowid order, without their bytes."""

    @abc.abstractmethod
    def open_sessions(self) -> list[OpenSession]:
        """Sessions with frames stored and no ``session.ended`` among them."""

    @abc.abstractmethod
    def evict_acked(self) -> int:
        """Delete every acknowledged frame now (space is needed); returns bytes freed."""

    @property
    @abc.abstractmethod
    def stored_bytes(self) -> int:
        """Payload bytes held, acknowledged ones (kept for a while) included."""

    @property
    @abc.abstractmethod
    def unacked_count(self) -> int:
        """Frames not acknowledged yet."""

    @abc.abstractmethod
    def close(self, *, delete: bool) -> None:
        """Close the outbox, deleting it (and releasing it) when ``delete``."""


class MemoryOutbox(Outbox):
    """No outbox: frames live in the publisher's memory only (``outbox.enabled: false``)."""

    def __init__(self, station_id: str, rank: int = 0) -> None:
        self.rank = rank
        self.station_id = station_id
        self._next_rowid = 0
        self._unacked: set[int] = set()

    @property
    def path(self) -> Path | None:
        """Always ``None``: nothing is written to disk."""
        return None

    def write(self, batch: WriteBatch, now_ns: int) -> list[int]:
        """Number the frames; remember which are unacknowledged."""
        rowids = list(range(self._next_rowid + 1, self._next_rowid + 1 + len(batch.frames)))
        self._next_rowid += len(batch.frames)
        self._unacked.update(rowids)
        self._unacked.difference_update(batch.acked)
        return rowids

    def load(self, rowid: int) -> Frame | None:
        """Nothing to read back: the publisher keeps the bytes."""
        return None

    def unacked(self) -> list[StoredFrame]:
        """Nothing survives a process: no frames to take over."""
        return []

    def open_sessions(self) -> list[OpenSession]:
        """Nothing survives a process: no sessions to close."""
        return []

    def evict_acked(self) -> int:
        """Nothing is kept on disk."""
        return 0

    @property
    def stored_bytes(self) -> int:
        """Nothing is kept on disk."""
        return 0

    @property
    def unacked_count(self) -> int:
        """Frames numbered and not acknowledged yet."""
        return len(self._unacked)

    def close(self, *, delete: bool) -> None:
        """Nothing to close."""

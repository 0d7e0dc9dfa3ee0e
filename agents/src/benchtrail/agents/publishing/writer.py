"""The publisher's writer thread: group commit of cut frames and acknowledgements.

The thread wakes when a frame is cut (or every ``linger`` seconds), takes every frame
cut since its last commit and every acknowledgement that came meanwhile, and commits
them to the outboxes in one transaction. Only committed frames are handed on to be
published. A SQLite connection belongs to the thread that writes it, so the outboxes
are opened (taking over orphans) and closed on this thread too.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import NamedTuple

from benchtrail.agents.errors import OutboxFull
from benchtrail.agents.publishing.frames import Frame
from benchtrail.agents.publishing.outbox import StoredFrame
from benchtrail.agents.publishing.outboxes import OutboxSet
from benchtrail.agents.publishing.stats import PublisherStats

log = logging.getLogger(__name__)


class Work(NamedTuple):
    """What one commit writes: taken from the publisher under its lock.

    Attributes:
        frames: frames cut since the last commit, in cut order.
        acked: frames JetStream acknowledged since the last commit.
        error: the last publishing error (written when it changed).
    """

    frames: list[Frame]
    acked: list[StoredFrame]
    error: str


class OutboxWriter:
    """The thread committing a publisher's frames and acks to its outboxes.

    Args:
        outboxes: the publisher's outboxes (opened and closed on this thread).
        work: the publisher's condition, notified when a frame is cut.
        linger: seconds to wait for a cut frame before taking the aged buffers.
        retry_backoff: seconds between attempts when a commit fails.
        stats: the publisher's counters.
        pending: whether frames wait to be committed (called with ``work`` held).
        take: hands over what to commit (called with ``work`` held).
        committed: called with the frames just committed, as the sender tracks them.
    """

    def __init__(
        self,
        outboxes: OutboxSet,
        work: threading.Condition,
        *,
        linger: float,
        retry_backoff: float,
        stats: PublisherStats,
        pending: Callable[[], bool],
        take: Callable[[], Work],
        committed: Callable[[list[Frame], list[StoredFrame]], None],
    ) -> None:
        self.outboxes = outboxes
        self.thread = threading.Thread(target=self._loop, name="bt-outbox", daemon=True)
        self._work = work
        self._linger = linger
        self._retry_backoff = retry_backoff
        self._stats = stats
        self._pending = pending
        self._take = take
        self._committed = committed
        self._opened: Future[list[StoredFrame]] = Future()
        self._written_error = ""
        self._stopping = False

    def start(self) -> list[StoredFrame]:
        """Start the thread; return the unacknowledged frames of the orphans it took over.

        Raises:
            OutboxFull: ``outbox.on_full`` is ``refuse`` and taken-over files fill the outbox.
            OutboxUnavailable: the outbox file cannot be created.
        """
        self.thread.start()
        return self._opened.result()

    def stop(self) -> None:
        """Commit what is left, close the outboxes and end the thread."""
        with self._work:
            self._stopping = True
            self._work.notify()
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            self.thread.join(60)

    def _loop(self) -> None:
        try:
            recovered = self._open()
        except BaseException as e:
            self._opened.set_exception(e)
            return
        self._opened.set_result(recovered)
        while True:
            with self._work:
                if not (self._pending() or self._stopping):  # acks alone wait for the next tick
                    self._work.wait(self._linger)
                work = self._take()
                stopping = self._stopping
            if work.frames or work.acked or work.error != self._written_error:
                self._commit(work)
            if stopping:
                break
        for path, frames_left in self.outboxes.close():
            log.info("outbox %s keeps %d frame(s) for the next connect()", path, frames_left)

    def _open(self) -> list[StoredFrame]:
        recovered = self.outboxes.open()
        pending = sum(frame.size for frame in recovered)
        config = self.outboxes.config
        if config.on_full == "refuse" and pending >= config.max_bytes:
            self.outboxes.close()
            directory = str(self.outboxes.directory)
            raise OutboxFull(directory, pending, config.max_bytes, self.outboxes.hub, "")
        self._stats.frames_recovered = len(recovered)
        return recovered

    def _commit(self, work: Work) -> None:
        new_error = work.error if work.error != self._written_error else ""
        for attempt in range(1, 1_000_000):
            started = time.perf_counter()
            try:
                rowids = self.outboxes.write(work.frames, work.acked, new_error)
                self._stats.store_seconds += time.perf_counter() - started
                break
            except sqlite3.Error as e:
                self._stats.last_error = f"outbox write failed: {e!r}"
                log.error("cannot write the outbox %s: %r", self.outboxes.path, e)
                if self._stopping and attempt >= 3:
                    log.error("giving up: %d frame(s) are not in the outbox", len(work.frames))
                    return
                time.sleep(self._retry_backoff)
        self._written_error = work.error
        own = self.outboxes.own
        stored = [
            StoredFrame(own, rowid, frame.event_count, len(frame.payload), frame)
            for rowid, frame in zip(rowids, work.frames, strict=True)
        ]
        self._committed(work.frames, stored)

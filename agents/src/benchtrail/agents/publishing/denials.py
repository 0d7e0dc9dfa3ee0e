"""What the hub refused on a station's connection, raised at the call that caused it.

nats-server reports a permission violation asynchronously (nats-py hands it to the
``error_cb``; the request that caused it just times out), and refuses bad credentials
at connect. :class:`Denials` keeps the refusal and raises it as
:class:`~benchtrail.agents.errors.PermissionDenied` (or
:class:`~benchtrail.agents.errors.CredentialsRefused`) at the next call: at once in a
call running under :meth:`Denials.guard` (a lock request), else at the station's next
event, flush or stop. Frames refused stay in the outbox.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Awaitable
from typing import TypeVar

from benchtrail.agents.errors import AgentError, CredentialsRefused, PermissionDenied
from benchtrail.schemas import DEAD_STREAM, EVENTS_STREAM, LOCKS_BUCKET

T = TypeVar("T")

_VIOLATION = re.compile(r"permissions violation for (publish|subscription) to \"?([^\"\s']+)", re.I)
_API_TOKENS = (
    *("$JS", "API", "FC", "ACK", "$KV", "STREAM", "CONSUMER", "DIRECT", "MSG", "INFO", "GET"),
    *("CREATE", "DELETE", "PURGE", "UPDATE", "NAMES", "LIST", "DURABLE"),
)
_JS_TOKENS = {token.lower(): token for token in _API_TOKENS}
_AUTHORIZATION = re.compile(r"authorization violation|authentication", re.I)


class Denials:
    """The refusals of one station's connection; :meth:`note` runs on the event loop.

    Args:
        station_id: the station (named in the errors).
        credentials: its credentials file (named in the errors).
        hub: the hub URL.
        progress: the condition callers wait on (flush), notified after each refusal.
    """

    def __init__(
        self, station_id: str, credentials: str, hub: str, progress: threading.Condition
    ) -> None:
        self.station_id = station_id
        self.credentials = credentials
        self.hub = hub
        self._progress = progress
        self._lock = threading.Lock()
        self._pending: AgentError | None = None
        self._waiters: set[asyncio.Future[None]] = set()

    def note(self, error: BaseException) -> bool:
        """Keep ``error`` if it is a refusal by the hub; return whether it was."""
        text = str(error) or type(error).__name__
        if match := _VIOLATION.search(text):
            operation = "publish" if match.group(1).lower() == "publish" else "subscribe"
            subject = _restore_case(match.group(2), self.station_id)
            refusal: AgentError = PermissionDenied(
                self.station_id, operation, subject, self.credentials
            )
        elif _AUTHORIZATION.search(text):
            refusal = CredentialsRefused(self.station_id, self.credentials, self.hub)
        else:
            return False
        with self._lock:
            self._pending = refusal
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        with self._progress:
            self._progress.notify_all()
        return True

    @property
    def pending(self) -> bool:
        """Whether a refusal waits to be raised."""
        return self._pending is not None

    def raise_pending(self) -> None:
        """Raise the refusal not raised yet, if any (once)."""
        if self._pending is None:  # every recorded point asks: no lock when there is none
            return
        with self._lock:
            refusal, self._pending = self._pending, None
        if refusal is not None:
            raise refusal

    async def guard(self, call: Awaitable[T]) -> T:
        """Run ``call``; if the hub refuses something meanwhile, cancel it and raise that."""
        self.raise_pending()
        task: asyncio.Future[T] = asyncio.ensure_future(call)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        either: set[asyncio.Future[object]] = {task, waiter}  # type: ignore[arg-type]
        try:
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._waiters.discard(waiter)
        if not task.done():  # the hub refused something first: this call's request
            task.cancel()
            await asyncio.wait({task})
            self.raise_pending()
        return task.result()


def _restore_case(subject: str, station_id: str) -> str:
    """The subject as sent, as far as known: nats-py reports server errors lower-cased.

    The JetStream API's tokens, the stream names and the station's own id get their case
    back; other tokens (another station's id, a resource) stay as reported.
    """
    names = {name.lower(): name for name in (EVENTS_STREAM, DEAD_STREAM, f"KV_{LOCKS_BUCKET}")}
    names[station_id.lower()] = station_id
    tokens = subject.split(".")
    api = tokens[0] in ("$js", "$kv")
    return ".".join(
        names.get(token) or (_JS_TOKENS.get(token, token) if api and i < 4 else token)
        for i, token in enumerate(tokens)
    )

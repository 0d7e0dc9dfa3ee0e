"""Reads take turns so that they never starve ingestion: a bounded reader pool in front of the API.

The embedded hub runs the projector, the live feeds and the API in one process,
over one chDB (two clients whose queries share the process's cores) and one
interpreter lock. A 100k-point JSON page costs ~30-50 ms of query and ~400 ms of Python to
build and encode; twenty clients reading such pages in a loop kept the projector's
thread waiting for its turn long enough to push ingest lag past 20 s (measured
with ``benchmarks/abuse.py``).

:class:`ReadGate` lets at most ``slots`` requests that read the warehouse run at
once; up to ``max_waiting`` more wait (without holding a worker thread) for at
most ``wait_s`` seconds; beyond either bound the request is refused at once with
503 :class:`~benchtrail.api.errors.ReadsBusy` and ``Retry-After``. A request gives
its turn back when its response starts (the body is built by then), so a client
that reads its answer slowly does not hold a turn. What is not a warehouse read is
never gated: health, live feeds, locks, sign-in, the dashboard's files, writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from benchtrail.api.errors import ReadsBusy

READ_GATE_STATE = "read_gate"
"""Key of the app's :class:`ReadGate` in ``app.state``."""
DEFAULT_SLOTS = 1
"""Reads answered at once by default: a request already runs its reads on both of the
warehouse's clients (``Warehouse.together``), and every extra reader thread takes the
interpreter from the projector (measured with
``benchmarks/abuse.py``, 20 readers of 100k-point pages: ingest lag p99 1.2 s with 2 turns,
0.2 s with 1). A ClickHouse server warehouse can take more (``--max-concurrent-reads``)."""
DEFAULT_MAX_WAITING = 64
DEFAULT_WAIT_S = 10.0
_READS = frozenset({"GET", "HEAD"})
_NOT_READS = ("/api/health", "/api/live", "/api/locks", "/api/auth", "/api/admin")
_GATED_CHECKS = ("/api/health/ingest", "/api/health/checksums")


class ReadLimits(msgspec.Struct, frozen=True, kw_only=True):
    """How many warehouse reads the API answers at once, and how long others may wait.

    Attributes:
        slots: requests reading the warehouse at once (``--max-concurrent-reads``).
        max_waiting: requests waiting for a turn; one more is refused at once.
        wait_s: longest wait for a turn before the request is refused.
    """

    slots: int = DEFAULT_SLOTS
    max_waiting: int = DEFAULT_MAX_WAITING
    wait_s: float = DEFAULT_WAIT_S

    def __post_init__(self) -> None:
        if self.slots < 1 or self.max_waiting < 0 or self.wait_s <= 0:
            raise ValueError(
                f"read limits need slots >= 1, max_waiting >= 0 and wait_s > 0, got slots="
                f"{self.slots}, max_waiting={self.max_waiting}, wait_s={self.wait_s}"
            )


def is_warehouse_read(method: str, path: str) -> bool:
    """Whether a request reads the warehouse (and so takes a turn)."""
    if method not in _READS or not path.startswith("/api/"):
        return False
    if path.startswith(_GATED_CHECKS):
        return True
    return not path.startswith(_NOT_READS)


class ReadGate(ASGIMiddleware):
    """At most ``limits.slots`` warehouse reads at once; a bounded, timed waiting line."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, limits: ReadLimits | None = None) -> None:
        self.limits = limits if limits is not None else ReadLimits()
        self._slots = asyncio.Semaphore(self.limits.slots)
        self.running = 0
        """Reads holding a turn now."""
        self.waiting = 0
        """Reads waiting for a turn now."""
        self.refused = 0
        """Reads refused since the start."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Run a warehouse read in its turn; pass everything else straight through."""
        if not is_warehouse_read(str(scope.get("method", "")), scope["path"]):
            await next_app(scope, receive, send)
            return
        await self._take_turn()
        held = True

        def give_back() -> None:
            nonlocal held
            if held:
                held = False
                self.running -= 1
                self._slots.release()

        async def send_then_give_back(message: Message) -> None:
            if message["type"] == "http.response.start":
                give_back()
            await send(message)

        try:
            await next_app(scope, receive, send_then_give_back)
        finally:
            give_back()

    async def _take_turn(self) -> None:
        limits = self.limits
        if self._slots.locked():
            if self.waiting >= limits.max_waiting:
                self.refused += 1
                raise ReadsBusy(
                    "max_waiting",
                    limits.max_waiting,
                    f"{self.running} read(s) under way and {self.waiting} waiting",
                )
            self.waiting += 1
            try:
                async with asyncio.timeout(limits.wait_s):
                    await self._slots.acquire()
            except TimeoutError:
                self.refused += 1
                raise ReadsBusy(
                    "wait_s", int(limits.wait_s), f"no turn came within {limits.wait_s:g} s"
                ) from None
            finally:
                self.waiting -= 1
        else:
            await self._slots.acquire()
        self.running += 1

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """A turn for one more step of a read already answering (an export's next page).

        It waits as long as it takes: the response has started, and refusing now would
        cut it short.
        """
        async with self._slots:
            self.running += 1
            try:
                yield
            finally:
                self.running -= 1

    def status(self) -> dict[str, int]:
        """Reads under way, waiting and refused, for ``/api/health``."""
        return {"running": self.running, "waiting": self.waiting, "refused": self.refused}

"""The async face of a station session: ``async with aconnect("cell-7") as station``."""

from __future__ import annotations

import asyncio
from types import TracebackType

from benchtrail.agents.run import Run
from benchtrail.agents.station import Station, connect


class AsyncStation:
    """A :class:`Station` whose blocking parts (start, flush, stop) run in a thread.

    Recording (``run.measure``) never blocks, so runs are used the same way;
    ``async with station.run(...) as run:`` works too.
    """

    def __init__(self, station: Station) -> None:
        self.station = station

    @property
    def session_id(self) -> str:
        """This session's UUIDv7."""
        return self.station.session_id

    @property
    def station_id(self) -> str:
        """The station's id."""
        return self.station.station_id

    def run(self, dut_serial: str = "", part_number: str = "", **metadata: object) -> Run:
        """Start a run (see :meth:`Station.run`)."""
        return self.station.run(dut_serial, part_number, **metadata)  # type: ignore[arg-type]

    async def start(self) -> AsyncStation:
        """Open the session."""
        await asyncio.to_thread(self.station.start)
        return self

    async def flush(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Wait until the hub acknowledged everything recorded so far."""
        await asyncio.to_thread(self.station.flush, timeout)

    async def stop(self, reason: str = "") -> None:
        """End the session and wait for every ack."""
        await asyncio.to_thread(self.station.stop, reason)

    async def __aenter__(self) -> AsyncStation:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop("" if exc is None else repr(exc))


def aconnect(
    station_id: str | None = None, hub: str | None = None, operator: str = "", **options: object
) -> AsyncStation:
    """Async twin of :func:`connect`: ``async with aconnect("cell-7") as station``."""
    return AsyncStation(connect(station_id, hub, operator, **options))  # type: ignore[arg-type]

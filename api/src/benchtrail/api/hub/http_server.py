"""How the hub serves its API: uvicorn over h11, with bounded connections and read times.

The limits and why each default is what it is:

* :data:`MAX_CONCURRENCY` (200, ``HubOptions.http_max_concurrency``): uvicorn counts
  open connections (idle keep-alive ones and live feeds too) and running requests;
  beyond the limit it answers ``503 Service Unavailable`` at once instead of queueing.
  Two cores and one warehouse serve far fewer requests than that at a time, browsers
  open at most six connections per host, and live feeds have a lower cap of their own.
* :data:`KEEP_ALIVE_TIMEOUT_S` (5 s, uvicorn's default, set explicitly): an idle
  connection holds a place in that count for at most this long.
* :data:`REQUEST_READ_TIMEOUT_S` (10 s): from a request's first byte to its last
  (headers and body), else the connection is closed. uvicorn has no such timeout:
  without it a client sending one header byte a second (or never sending anything
  on a fresh connection) holds a place for ever. 1 MiB (the body limit) in 10 s
  needs 100 KB/s, far below any lab network.
* :data:`MAX_HEAD_BYTES` (16 KiB, h11's default, set explicitly): a request line
  and headers still unfinished after this many bytes are refused with 400, so a
  megabyte URL never reaches the application. h11 checks what it holds between
  socket reads, so a head arriving in one read may be up to one read longer (asyncio
  reads at most 256 KiB). The protocol is h11 by construction: the limit holds
  whether or not httptools is installed.

The body size (1 MiB) is bounded by the application itself
(:data:`benchtrail.api.http.bounded_request.MAX_BODY_BYTES`, 413).
"""

from __future__ import annotations

import asyncio

import h11
import uvicorn
from litestar.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_CONCURRENCY = 200
"""Default of ``HubOptions.http_max_concurrency``: connections and requests at a time."""
KEEP_ALIVE_TIMEOUT_S = 5
"""How long an idle keep-alive connection stays open."""
REQUEST_READ_TIMEOUT_S = 10.0
"""How long a client may take to send one request, headers and body."""
MAX_HEAD_BYTES = 16 * 1024
"""Largest request line plus headers."""


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request arrives too slowly.

    The clock starts when the connection opens or a request's first byte arrives
    and stops when the request is complete (h11 has seen its end); between requests
    uvicorn's keep-alive timeout applies.
    """

    read_timeout_s: float = REQUEST_READ_TIMEOUT_S
    _read_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock: a fresh connection must send its request in time."""
        super().connection_made(transport)
        self._start_clock()

    def data_received(self, data: bytes) -> None:
        """Feed h11; stop the clock once the request is complete, start it on a new one."""
        super().data_received(data)
        if self.conn.their_state in (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR):
            self._stop_clock()
        elif self._read_deadline is None:
            self._start_clock()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock with the connection."""
        self._stop_clock()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        """Between requests the keep-alive timeout applies, not the read timeout."""
        self._stop_clock()
        super().on_response_complete()

    def _start_clock(self) -> None:
        self._read_deadline = self.loop.call_later(self.read_timeout_s, self._too_slow)

    def _stop_clock(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _too_slow(self) -> None:
        self._read_deadline = None
        if not self.transport.is_closing():
            timeout = self.read_timeout_s
            self.logger.warning("Closed a connection whose request took over %ss.", timeout)
            self.transport.close()


def api_server_config(
    app: ASGIApp,
    *,
    host: str,
    port: int,
    max_concurrency: int = MAX_CONCURRENCY,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
) -> uvicorn.Config:
    """The uvicorn configuration of the hub's API, with the limits of this module."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        http=BoundedH11Protocol,
        ws="none",
        lifespan="on",
        timeout_graceful_shutdown=5,
        limit_concurrency=max_concurrency,
        timeout_keep_alive=KEEP_ALIVE_TIMEOUT_S,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )

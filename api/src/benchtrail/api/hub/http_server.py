"""How the hub serves its API: uvicorn over h11, with bounded connections and read times.

The limits and why each default is what it is:

* :data:`MAX_CONCURRENCY` (200, ``HubOptions.http_max_concurrency``): open
  connections (idle keep-alive ones and live feeds too) and running requests are
  counted as uvicorn counts them; at the limit a request is answered ``503`` with an
  ``ErrorBody`` (``limit_reached``, ``limit`` ``http_max_concurrency``) at once
  instead of queueing. :class:`BoundedH11Protocol` makes that answer itself (uvicorn's
  own is plain text), so uvicorn's check is turned off on its connections.
  Two cores and one warehouse serve far fewer requests than that at a time, browsers
  open at most six connections per host, and live feeds have a lower cap of their own.
* :data:`KEEP_ALIVE_TIMEOUT_S` (5 s, uvicorn's default, set explicitly): an idle
  connection holds a place in that count for at most this long.
* :data:`REQUEST_READ_TIMEOUT_S` (10 s): from a request's first byte to its last
  (headers and body), else the connection is closed. uvicorn has no such timeout:
  without it a client sending one header byte a second (or never sending anything
  on a fresh connection) holds a place for ever. 1 MiB (the body limit) in 10 s
  needs 100 KB/s, far below any lab network.
  A file upload (``PUT /api/files/{file_id}/content``, up to 64 MiB) gets one more
  second per :data:`MIN_UPLOAD_BYTES_PER_S` (1 MB/s) of its body once its head has
  arrived.
* :data:`MAX_HEAD_BYTES` (16 KiB, h11's default, set explicitly): a request line
  and headers still unfinished after this many bytes are refused with 400, so a
  megabyte URL never reaches the application. h11 checks what it holds between
  socket reads, so a head arriving in one read may be up to one read longer (asyncio
  reads at most 256 KiB). The protocol is h11 by construction: the limit holds
  whether or not httptools is installed.

A request h11 cannot parse (or a head over the limit) is answered ``400`` with an
``ErrorBody`` (``bad_request``) and the connection is closed, where uvicorn would
answer "Invalid HTTP request received." in plain text.

An event stream whose client stopped reading is ended by
:class:`benchtrail.api.http.stream_guard.StalledStreamGuard`; its connection is then
aborted here (:data:`~benchtrail.api.http.stream_guard.ABORT_CONNECTION`), not closed:
a close would wait for ever to flush bytes the client never reads, holding the
socket, its buffers and a place in the concurrency count.

The body size (1 MiB) is bounded by the application itself
(:data:`benchtrail.api.http.bounded_request.MAX_BODY_BYTES`, 413; 64 MiB for a
file upload).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import h11
import msgspec
import uvicorn
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from benchtrail.api.http.security.middleware import OCTET_ROUTE
from benchtrail.api.http.stream_guard import ABORT_CONNECTION
from benchtrail.api.hub.windows.content import MAX_FILE_BYTES
from benchtrail.api.models.entities import ErrorBody

MAX_CONCURRENCY = 200
"""Default of ``HubOptions.http_max_concurrency``: connections and requests at a time."""
KEEP_ALIVE_TIMEOUT_S = 5
"""How long an idle keep-alive connection stays open."""
REQUEST_READ_TIMEOUT_S = 10.0
"""How long a client may take to send one request, headers and body."""
MAX_HEAD_BYTES = 16 * 1024
"""Largest request line plus headers."""
RETRY_AFTER_S = 1
MIN_UPLOAD_BYTES_PER_S = 1_000_000
"""Slowest a file upload's body may arrive (1 MB/s: 64 MiB in about 67 s more)."""
"""``Retry-After`` of a request refused at the concurrency limit."""


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request arrives too slowly.

    The clock starts when the connection opens or a request's first byte arrives
    and stops when the request is complete (h11 has seen its end); between requests
    uvicorn's keep-alive timeout applies.
    """

    read_timeout_s: float = REQUEST_READ_TIMEOUT_S
    _read_deadline: asyncio.TimerHandle | None = None
    _body_budgeted = False

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.max_concurrency = config.limit_concurrency
        self.limit_concurrency = None  # counted by _within_limit, answered with an ErrorBody
        self.app = self._within_limit

    async def _within_limit(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The application, or a JSON 503 while the hub serves its most at once.

        The same count as uvicorn's, made inside the request's task (so it counts too).
        """
        limit = self.max_concurrency
        if limit is not None and scope["type"] == ScopeType.HTTP and self._at_limit(limit):
            self.logger.warning("Exceeded concurrency limit.")
            await _send_refusal(send, limit)
            return
        await self.config.loaded_app(scope, receive, send)
        if scope.get("state", {}).get(ABORT_CONNECTION):
            self.transport.abort()  # its client stopped reading: drop what it never took

    def _at_limit(self, limit: int) -> bool:
        return len(self.connections) >= limit or len(self.tasks) > limit

    def send_400_response(self, msg: str) -> None:
        """A request h11 could not parse: a 400 ``ErrorBody``, then the connection closes."""
        del msg  # uvicorn's fixed plain-text message
        body = msgspec.json.encode(BAD_REQUEST)
        headers = [*_JSON_CLOSE, (b"content-length", str(len(body)).encode())]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            output = self.conn.send(event)
            if output:
                self.transport.write(output)
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock: a fresh connection must send its request in time."""
        super().connection_made(transport)
        self._start_clock()

    def data_received(self, data: bytes) -> None:
        """Feed h11; stop the clock once the request is complete, start it on a new one.

        A file upload's clock is given time for its body once its head has arrived
        (see :func:`upload_budget_s`).
        """
        super().data_received(data)
        if self.conn.their_state in (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR):
            self._stop_clock()
        elif self._read_deadline is None:
            self._start_clock()
        elif self.conn.their_state == h11.SEND_BODY and not self._body_budgeted:
            self._body_budgeted = True
            budget = upload_budget_s(self.scope)
            if budget:
                self._stop_clock()
                self._start_clock(self.read_timeout_s + budget)

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock with the connection."""
        self._stop_clock()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        """Between requests the keep-alive timeout applies, not the read timeout."""
        self._stop_clock()
        super().on_response_complete()

    def _start_clock(self, seconds: float | None = None) -> None:
        timeout = self.read_timeout_s if seconds is None else seconds
        self._read_deadline = self.loop.call_later(timeout, self._too_slow)

    def _stop_clock(self) -> None:
        self._body_budgeted = False
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _too_slow(self) -> None:
        self._read_deadline = None
        if not self.transport.is_closing():
            timeout = self.read_timeout_s
            self.logger.warning("Closed a connection whose request took over %ss.", timeout)
            self.transport.close()


_JSON_CLOSE = [(b"content-type", b"application/json"), (b"connection", b"close")]
BAD_REQUEST = ErrorBody(
    status_code=400,
    error="bad_request",
    detail="this is not a valid HTTP/1.1 request, or its request line and headers are"
    f" longer than {MAX_HEAD_BYTES} bytes",
)
"""The answer to a request h11 cannot parse."""


def upload_budget_s(scope: Mapping[str, Any]) -> float:
    """Extra seconds to send the body of a file upload (0 for any other request).

    ``PUT /api/files/{file_id}/content`` may carry up to 64 MiB, which no lab link
    sends in :data:`REQUEST_READ_TIMEOUT_S`: it gets one more second per
    :data:`MIN_UPLOAD_BYTES_PER_S` of its ``Content-Length`` (of the largest upload
    when it announces none), so a client slower than that is still cut off.
    """
    if scope.get("method") != "PUT" or not OCTET_ROUTE.match(scope.get("path", "")):
        return 0.0
    length = MAX_FILE_BYTES
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length" and value.isdigit():
            length = min(int(value), MAX_FILE_BYTES)
    return length / MIN_UPLOAD_BYTES_PER_S


def concurrency_refusal(limit: int) -> ErrorBody:
    """The answer to a request beyond the concurrency limit ``limit``."""
    return ErrorBody(
        status_code=503,
        error="limit_reached",
        detail=f"the hub serves at most {limit} connections and requests at once"
        f" (http_max_concurrency={limit}); retry in {RETRY_AFTER_S} s",
        limit="http_max_concurrency",
    )


async def _send_refusal(send: Send, limit: int) -> None:
    body = msgspec.json.encode(concurrency_refusal(limit))
    headers = [
        *_JSON_CLOSE,
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_S).encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


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

"""An ASGI wrapper that ends a Server-Sent Events response whose client stopped reading.

uvicorn waits for a slow client's socket to drain before it takes the next message
of a response, without a time limit: a live feed whose client never reads would
hold its feed, its place and its buffers for ever. :class:`StalledStreamGuard`
gives each message of a ``text/event-stream`` response ``send_timeout_s`` to be
taken; past that it tries (briefly) to send a final ``closed`` event, ends the
response, lets the server close the connection and runs the callbacks the handler
left under :data:`ON_STALL` in the scope's state (a live feed's ``close``: its
consumer is deleted and its place freed at once, not when the generator is collected).

A client that never reads does not get that ``closed`` event: the socket buffers
between the hub and it are full, so no byte more reaches it. It sees the end of
the connection instead, after the last complete or partial event it had buffered,
and resumes with ``Last-Event-ID`` like any other. The guard also marks the scope's
state with :data:`ABORT_CONNECTION`: the server then drops the connection at once
(:class:`benchtrail.api.hub.http_server.BoundedH11Protocol`) instead of waiting,
for ever, to flush what the client does not read.
"""

from __future__ import annotations

import logging

import anyio
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from benchtrail.api.errors import ClientStalled

log = logging.getLogger(__name__)

STALLED = "this client did not take the feed's messages in time; reconnect with Last-Event-ID"
"""``data`` of the final ``closed`` event of a feed whose client stopped reading."""
ON_STALL = "benchtrail.on_stall"
"""Key in ``scope["state"]`` of a list of coroutine functions to run when the stream stalls."""
ABORT_CONNECTION = "benchtrail.abort_connection"
"""Key in ``scope["state"]``, true when the connection is to be dropped, not flushed."""
_FAREWELL_S = 1.0
_EVENT_STREAM = b"text/event-stream"


class StalledStreamGuard:
    """Wraps an ASGI app: an event stream message not taken in time ends the response."""

    def __init__(self, app: ASGIApp, send_timeout_s: float) -> None:
        self.app = app
        self.send_timeout_s = send_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with a ``send`` that gives up on a stalled event stream."""
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        stalled = False
        streaming = False

        async def guarded(message: Message) -> None:
            nonlocal stalled, streaming
            if stalled:
                raise ClientStalled(self.send_timeout_s)
            if message["type"] == "http.response.start":
                headers = message.get("headers") or []
                streaming = any(
                    name.lower() == b"content-type" and value.startswith(_EVENT_STREAM)
                    for name, value in headers
                )
            if not streaming or message["type"] != "http.response.body":
                await send(message)
                return
            with anyio.move_on_after(self.send_timeout_s) as waited:
                await send(message)
            if waited.cancelled_caught:
                stalled = True
                await _farewell(send)
                raise ClientStalled(self.send_timeout_s)

        try:
            await self.app(scope, receive, guarded)
        except Exception:  # the stall, however the framework wrapped it on its way out
            if not stalled:
                raise
            client = scope.get("client")
            log.info("ended the event stream %s of %s: it stalled", scope.get("path"), client)
            state = scope.get("state", {})
            state[ABORT_CONNECTION] = True
            for callback in state.get(ON_STALL, []):
                await callback()


async def _farewell(send: Send) -> None:
    """The final ``closed`` event and the response's end, if the client takes them at once."""
    body = f"event: closed\r\ndata: {STALLED}\r\n\r\n".encode()
    with anyio.move_on_after(_FAREWELL_S):
        await send({"type": "http.response.body", "body": body, "more_body": False})

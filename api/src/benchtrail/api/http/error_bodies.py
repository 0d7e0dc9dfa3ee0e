"""Every error body is small: the values it quotes are clipped, its size is bounded.

A request with a 9 MB value must not get an 18 MB answer. Each exception
handler of the application is wrapped by :func:`bounded`: the
:class:`~benchtrail.api.models.entities.ErrorBody` it answers with shows at most
:data:`~benchtrail.api.quoting.MAX_QUOTED` characters of each value (and says how
long the value was), and its JSON is at most :data:`MAX_ERROR_BODY` bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from litestar import Request, Response

from benchtrail.api.models.entities import ErrorBody
from benchtrail.api.quoting import MAX_QUOTED, clip

MAX_ERROR_BODY = 4096
"""Largest error body in bytes (JSON), whatever the request held."""

Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]
_QUOTED = ("kind", "key", "parameter", "value", "role")


def clipped(body: ErrorBody, quoted: int = MAX_QUOTED) -> ErrorBody:
    """``body`` with its detail and quoted values clipped (``quoted`` characters each)."""
    # the detail may quote a value and what was expected, and say more around them
    # ``expected`` is the API's own text (a list of choices may be long)
    changes: dict[str, Any] = {"detail": clip(body.detail, 6 * quoted)}
    if body.expected is not None:
        changes["expected"] = clip(body.expected, 4 * quoted)
    for name in _QUOTED:
        text = getattr(body, name)
        if text is not None:
            changes[name] = clip(text, quoted)
    small = msgspec.structs.replace(body, **changes)
    if quoted > 16 and len(msgspec.json.encode(small)) > MAX_ERROR_BODY:
        return clipped(body, quoted // 4)  # many multi-byte or escaped characters
    return small


def bounded(handler: Handler) -> Handler:
    """``handler`` whose ErrorBody answers are :func:`clipped`."""

    @functools.wraps(handler)
    def answer(request: Request[Any, Any, Any], error: Any) -> Response[Any]:
        response = handler(request, error)
        if isinstance(response.content, ErrorBody):
            response.content = clipped(response.content)
        return response

    return answer


def bounded_handlers(
    handlers: Mapping[type[Exception], Handler],
) -> dict[int | type[Exception], Handler]:
    """Each of ``handlers`` wrapped by :func:`bounded`."""
    return {error: bounded(handler) for error, handler in handlers.items()}

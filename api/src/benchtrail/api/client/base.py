"""The HTTP plumbing every part of the Python client shares: one httpx client, errors.

:class:`benchtrail.api.EventStore` is assembled from method groups (lists, experiments,
analytics, observation windows); each subclasses :class:`ClientBase` and calls
:meth:`ClientBase._get` / :meth:`ClientBase._request`.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from types import TracebackType
from typing import Self
from urllib.parse import quote

import httpx
import msgspec

from benchtrail.api.errors import (
    ApiUnavailable,
    ArgumentTypeError,
    BadParameter,
    NotFound,
    NotSignedIn,
    RoleRequired,
    UnexpectedResponse,
)
from benchtrail.api.models.access import TLS_CA_ENV, TOKEN_ENV
from benchtrail.api.models.entities import ErrorBody

DEFAULT_URL = "http://127.0.0.1:8000"
"""Where ``benchtrail up`` serves the API by default."""

QueryValue = str | int
_error_decoder = msgspec.json.Decoder(ErrorBody)
_any_json = msgspec.json.Decoder()


class ClientBase:
    """One connection pool to a benchtrail API, and the error mapping of its answers.

    Args:
        url: base URL of the API; default ``$BENCHTRAIL_API``, else
            ``http://127.0.0.1:8000`` (where ``benchtrail up`` serves it).
        token: the API token (sent as ``Authorization: Bearer``); default
            ``$BENCHTRAIL_TOKEN``, else none (enough for a hub running open on loopback).
        tls_ca: CA certificate (PEM) that signed an ``https://`` hub's certificate (a lab CA
            from ``benchtrail up --tls-generate``); default ``$BENCHTRAIL_TLS_CA``, else the
            system's trusted CAs.
        timeout: seconds to wait for each HTTP request.
        transport: an httpx transport, e.g. ``httpx.ASGITransport`` in tests.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        token: str | None = None,
        tls_ca: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = (url or os.environ.get("BENCHTRAIL_API") or DEFAULT_URL).rstrip("/")
        token = token or os.environ.get(TOKEN_ENV) or None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        ca = tls_ca or os.environ.get(TLS_CA_ENV) or None
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca) if ca else True
        self._http = httpx.Client(
            base_url=self.url, timeout=timeout, transport=transport, headers=headers, verify=verify
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _get(
        self,
        path: str,
        query: Mapping[str, QueryValue] | None = None,
        *,
        missing: tuple[str, str] | None = None,
    ) -> bytes:
        return self._request(path, query, missing=missing).content

    def _request(
        self,
        path: str,
        query: Mapping[str, QueryValue] | None,
        *,
        missing: tuple[str, str] | None = None,
        method: str = "GET",
        body: bytes | None = None,
    ) -> httpx.Response:
        """``method`` ``path`` (with a JSON ``body``); an unrouted 404 on an entity's path is
        that entity ``missing``."""
        headers = {"Content-Type": "application/json"} if body is not None else None
        try:
            response = self._http.request(
                method, path, params=dict(query or {}), content=body, headers=headers
            )
        except httpx.HTTPError as e:
            raise ApiUnavailable(self.url, str(e) or type(e).__name__) from e
        if response.is_success:
            return response
        error = _error(self.url + path, response)
        if missing and is_unrouted(error):
            raise NotFound(*missing) from error
        raise error


def is_unrouted(error: Exception) -> bool:
    """Whether ``error`` is a 404 of no route (e.g. an id holding ``/``), not of an entity.

    Older APIs answer it without an ErrorBody, newer ones with the kind ``path``.
    """
    if isinstance(error, NotFound):
        return error.kind == "path"
    return isinstance(error, UnexpectedResponse) and error.status_code == 404


def path_segment(name: str, value: object) -> str:
    """The id argument ``name`` as one URL path segment (``/`` and friends percent-encoded).

    Raises:
        ArgumentTypeError: ``value`` is not a str (e.g. ``session_id=...``).
        BadParameter: ``value`` is empty or blank.
    """
    if not isinstance(value, str):
        raise ArgumentTypeError(name, value, "a str")
    if not value.strip():
        raise BadParameter(name, value, "a non-empty id")
    return quote(value, safe="")


def _error(url: str, response: httpx.Response) -> Exception:
    """The exception for an HTTP error answer, rebuilt from the server's ErrorBody."""
    status = response.status_code
    try:
        body: ErrorBody | None = _error_decoder.decode(response.content)
    except msgspec.DecodeError:
        body = None
    if body is not None and body.error == "not_found" and body.kind and body.key is not None:
        return NotFound(body.kind, body.key)
    if body is not None and body.error == "bad_parameter" and body.parameter:
        return BadParameter(body.parameter, body.value, body.expected or body.detail)
    detail = body.detail if body is not None else _detail(response)
    if status == 401:
        return NotSignedIn(url, detail)
    if status == 403:
        return RoleRequired(url, body.role if body is not None else None, detail)
    if status >= 500:
        return ApiUnavailable(url, f"HTTP {status}: {detail}")
    return UnexpectedResponse(url, status, detail)


def _detail(response: httpx.Response) -> str:
    """``detail`` of a JSON error body that is not an ErrorBody, else the start of the text."""
    try:
        body = _any_json.decode(response.content)
    except msgspec.DecodeError:
        return response.text[:200]
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail) if detail is not None else response.text[:200]

"""Signing in and out (``/api/auth/session``, ``/dashboard/signin``) and token management.

A browser signs in once with a token: the answer sets an HttpOnly, SameSite=Strict
cookie holding a random session id (Secure over HTTPS); the token never reaches
page scripts again. ``/api/admin/tokens`` lets an admin create, list and revoke
tokens from another machine (on the hub's machine, ``benchtrail token`` edits the
file directly).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from litestar import Request, Response, delete, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Redirect

from benchtrail.api.errors import AuthOff
from benchtrail.api.http.security.config import SecurityConfig
from benchtrail.api.http.security.middleware import INVALID_TOKEN
from benchtrail.api.http.security.sessions import SESSION_COOKIE
from benchtrail.api.hub.access import TokenStore
from benchtrail.api.models.access import Identity, IssuedToken, SignIn, TokenCreation, TokenView

DASHBOARD_HOME = "/dashboard/"
Req = Request[Any, Any, Any]
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@get("/api/auth/session", tags=["auth"])
async def who_am_i(identity: NamedDependency[Identity]) -> Identity:
    """Who this request is: the token's name and role (``local`` admin on an open hub)."""
    return identity


@post("/api/auth/session", tags=["auth"], status_code=200, security=[{}])
async def sign_in(
    request: Req, security: NamedDependency[SecurityConfig], data: JSONBody[SignIn]
) -> Response[Identity]:
    """Sign a browser in with a token: sets the session cookie, answers who it is."""
    identity = _identify(security, data.token)
    return Response(identity, cookies=[_cookie(request, security, identity)], headers=_NO_STORE)


@delete("/api/auth/session", tags=["auth"], status_code=204)
async def sign_out(request: Req, security: NamedDependency[SecurityConfig]) -> Response[None]:
    """Sign a browser out: its session ends and its cookie is cleared."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        security.sessions.close(session_id)
    gone = Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/", httponly=True)
    return Response(None, status_code=204, cookies=[gone])


@get("/dashboard/signin", include_in_schema=False)
async def dashboard_sign_in(
    request: Req,
    security: NamedDependency[SecurityConfig],
    token: Annotated[str, QueryParameter(description="A viewer token, e.g. a wall display's.")],
) -> Redirect:
    """A sign-in link (for a wall display): sets the cookie and leaves the token out of the URL."""
    identity = _identify(security, token)
    redirect = Redirect(DASHBOARD_HOME, status_code=303, headers=_NO_STORE)
    redirect.cookies.append(_cookie(request, security, identity))
    return redirect


@post("/api/admin/tokens", tags=["auth"], status_code=201)
async def create_token(
    security: NamedDependency[SecurityConfig], data: JSONBody[TokenCreation]
) -> Response[IssuedToken]:
    """A new token with a name and role; the token is in this answer only."""
    issued = await asyncio.to_thread(_tokens(security).create, data.name, data.role)
    return Response(issued, status_code=201, headers=_NO_STORE)


@get("/api/admin/tokens", tags=["auth"])
async def list_tokens(security: NamedDependency[SecurityConfig]) -> list[TokenView]:
    """Every token (never the token itself), revoked ones too."""
    return await asyncio.to_thread(_tokens(security).views)


@delete("/api/admin/tokens/{id_or_name:str}", tags=["auth"], status_code=200)
async def revoke_token(
    security: NamedDependency[SecurityConfig], id_or_name: FromPath[str]
) -> TokenView:
    """Revoke a token by id or (active) name: its requests and sessions end at once."""
    return await asyncio.to_thread(_tokens(security).revoke, id_or_name)


def _tokens(security: SecurityConfig) -> TokenStore:
    if security.tokens is None:
        raise AuthOff()
    return security.tokens


def _identify(security: SecurityConfig, token: str) -> Identity:
    if security.tokens is None:
        raise AuthOff()
    identity = security.tokens.identify(token)
    if identity is None:
        raise NotAuthorizedException(
            detail="the token is unknown or revoked",
            headers=INVALID_TOKEN,
        )
    return identity


def _cookie(request: Req, security: SecurityConfig, identity: Identity) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=security.sessions.open(identity),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


AUTH_ROUTES: list[BaseRouteHandler] = [
    who_am_i,
    sign_in,
    sign_out,
    dashboard_sign_in,
    create_token,
    list_tokens,
    revoke_token,
]
"""Every route handler of signing in and token management."""

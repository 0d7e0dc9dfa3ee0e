"""Who may call the HTTP API: roles, tokens as the API shows them, and sign-in bodies.

A token is a bearer secret with one role; the hub stores only its SHA-256. The
roles nest: an ``operator`` may do everything a ``viewer`` may, an ``admin``
everything an ``operator`` may.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Role = Literal["viewer", "operator", "admin"]
"""What a token may do: ``viewer`` reads, ``operator`` also changes windows and files,
``admin`` also prunes, retries dead letters, breaks locks and manages tokens."""
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")
"""Every role, weakest first."""
TOKEN_ENV = "BENCHTRAIL_TOKEN"
"""The environment variable clients read their token from."""
TLS_CA_ENV = "BENCHTRAIL_TLS_CA"
"""The environment variable naming the CA certificate an ``https://`` hub is trusted with."""


def role_allows(have: Role, need: Role) -> bool:
    """Whether an identity with role ``have`` may do what needs role ``need``."""
    return ROLES.index(have) >= ROLES.index(need)


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    """Who makes a request: a token's name and role (``local`` admin on an open hub)."""

    name: str
    role: Role
    token_id: str | None = None


class TokenView(msgspec.Struct, frozen=True, kw_only=True):
    """A token as the hub lists it: never the secret, never its hash."""

    id: str
    name: str
    role: Role
    created_at: str
    revoked_at: str | None = None


class TokenCreation(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/admin/tokens``."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[-_.@ \w]+$")]
    role: Role = "viewer"


class IssuedToken(msgspec.Struct, frozen=True, kw_only=True):
    """A new token: ``token`` is shown this once and never again."""

    token: str
    info: TokenView


class SignIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/auth/session``: the token to sign the browser in with."""

    token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class StationView(msgspec.Struct, frozen=True, kw_only=True):
    """A registered station as the hub lists it: never its seed."""

    station_id: str
    public_key: str
    created_at: str
    revoked_at: str | None = None


class StationRegistration(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/admin/stations``."""

    station_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class IssuedStation(msgspec.Struct, frozen=True, kw_only=True):
    """A newly registered station: ``credentials`` (its nkey seed) is shown this once."""

    credentials: str
    station: StationView

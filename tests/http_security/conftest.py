"""Fixtures of the HTTP security tests: the API with tokens, over a fresh warehouse.

The app runs without a hub (changes answer 503 once allowed): what these tests
look at is who gets in, not what the changes do.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from benchtrail.api.http import create_app
from benchtrail.api.http.security import SecurityConfig
from benchtrail.api.hub.access import TokenStore, token_store
from benchtrail.api.models.access import ROLES, Role
from benchtrail.projector import Warehouse

LOCAL = "http://127.0.0.1"
"""Base URL of the in-process test clients (a loopback host the API answers to)."""


@pytest.fixture
def tokens(tmp_path: Path) -> TokenStore:
    """The token store of a hub whose data directory is ``tmp_path``."""
    return token_store(tmp_path)


@pytest.fixture
def role_tokens(tokens: TokenStore) -> dict[Role, str]:
    """One token per role, each named after its role."""
    return {role: tokens.create(role, role).token for role in ROLES}


@pytest.fixture
def secured_app(warehouse: Warehouse, tokens: TokenStore) -> Litestar:
    """The API with tokens on, answering to ``hub.lab`` besides the loopback names."""
    return create_app(warehouse, security=SecurityConfig(tokens=tokens, allowed_hosts=("hub.lab",)))


@pytest.fixture
def client(secured_app: Litestar) -> Iterator[TestClient[Litestar]]:
    """A test client of :func:`secured_app` without credentials."""
    with TestClient(secured_app, base_url=LOCAL) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    """The header that presents ``token``."""
    return {"Authorization": f"Bearer {token}"}

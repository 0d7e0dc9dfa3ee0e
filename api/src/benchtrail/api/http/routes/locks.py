"""``/api/locks``: who holds which instrument, and releasing a lock by hand.

An ``admin`` may break any lock; an ``operator`` only a lock held by a session they
ran (the session's operator is the token's name). Who broke it is the caller's
identity, recorded as ``lock.released`` with ``broken_by``.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated

from litestar import get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter

from benchtrail.api import queries
from benchtrail.api.errors import BadParameter, LocksUnavailable, NotFound
from benchtrail.api.http.list_filters import BAD_PARAMETER, NOT_FOUND
from benchtrail.api.http.security import LOCAL_ADMIN, check_lock_owner
from benchtrail.api.hub.lockboard import LockBoard
from benchtrail.api.models.access import Identity
from benchtrail.api.models.entities import ErrorBody, LockView
from benchtrail.projector import Warehouse

_UNAVAILABLE = ResponseSpec(ErrorBody, description="This API runs without a hub connection.")
_LOCK_KEY = re.compile(r"[-/_=.A-Za-z0-9]+")
"""What a key of the ``bt_locks`` bucket can be (NATS KV keys)."""


def _board(lock_board: LockBoard | None) -> LockBoard:
    if lock_board is None:
        raise LocksUnavailable()
    return lock_board


@get("/api/locks", tags=["locks"], responses={503: _UNAVAILABLE})
async def list_locks(lock_board: NamedDependency[LockBoard | None]) -> list[LockView]:
    """Who holds which instrument now: key, resource, station, session, host, pid, since."""
    return await _board(lock_board).list()


@post(
    "/api/locks/{key:str}/release",
    tags=["locks"],
    status_code=200,
    responses={400: BAD_PARAMETER, 404: NOT_FOUND, 503: _UNAVAILABLE},
)
async def release_lock(
    lock_board: NamedDependency[LockBoard | None],
    warehouse: NamedDependency[Warehouse],
    identity: NamedDependency[Identity],
    key: FromPath[str],
    *,
    force: Annotated[bool, QueryParameter(description="Must be true: this breaks a lock.")] = False,
    by: Annotated[
        str, QueryParameter(description="Who breaks it, on a hub without tokens only.")
    ] = "",
) -> LockView:
    """Break a lock (admin: any; operator: one held by their own session).

    Recorded as ``lock.released`` with ``broken_by``: the token's name (on a hub without
    tokens, ``by`` if given).
    """
    if not force:
        raise BadParameter("force", force, "true: releasing another holder's lock breaks it")
    if not _LOCK_KEY.fullmatch(key) or key.startswith(".") or key.endswith("."):
        raise NotFound("lock", key)  # not a key the bucket can hold: nobody holds it
    board = _board(lock_board)
    holder = await board.holder(key)
    if holder is None:
        raise NotFound("lock", key)
    operator = await asyncio.to_thread(queries.session_operator, warehouse, holder.session_id)
    check_lock_owner(identity, key, holder.session_id, operator)
    broken_by = by.strip() or identity.name if identity == LOCAL_ADMIN else identity.name
    return await board.force_release(key, broken_by)


LOCK_ROUTES = [list_locks, release_lock]
"""The lock board's route handlers."""

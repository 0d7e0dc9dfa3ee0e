"""Rules that depend on what a request touches, not only on its route: whose lock it is."""

from __future__ import annotations

from litestar.exceptions import PermissionDeniedException

from benchtrail.api.models.access import Identity, role_allows


def check_lock_owner(identity: Identity, key: str, session_id: str, operator: str) -> None:
    """Let an ``admin`` break any lock, an ``operator`` only one held by a session they ran.

    Args:
        identity: who asks.
        key: the lock.
        session_id: the holding session.
        operator: that session's operator (id, else name; ``""`` if unknown).

    Raises:
        PermissionDeniedException: (403) the lock is someone else's.
    """
    if role_allows(identity.role, "admin"):
        return
    if operator and operator == identity.name and role_allows(identity.role, "operator"):
        return
    whose = f"operator {operator!r}" if operator else "a session with no known operator"
    raise PermissionDeniedException(
        detail=f"lock {key!r} is held by session {session_id!r} of {whose}; "
        f"{identity.name!r} may release only their own locks (an admin may break any)",
        extra={"role": "admin"},
    )

"""Releasing a lock over HTTP on a hub with auth: admins any, operators only their own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from benchtrail.agents import connect
from benchtrail.api import EventStore
from benchtrail.api.errors import NotFound, RoleRequired
from benchtrail.api.hub.access import token_store
from benchtrail.api.hub.embedded import Hub
from benchtrail.schemas import LockReleased


def test_operators_release_their_own_locks_and_admins_any(
    auth_hub: Hub, add_station: Callable[[str], Path]
):
    tokens = token_store(auth_hub.data_dir)
    alice = tokens.create("alice", "operator").token
    bob = tokens.create("bob", "operator").token
    admin = tokens.create("root", "admin").token
    viewer = tokens.create("wall", "viewer").token
    credentials = str(add_station("cell-7"))
    url = auth_hub.nats.url
    with (
        connect("cell-7", hub=url, credentials=credentials, operator="alice", mock=True) as mine,
        connect("cell-7", hub=url, credentials=credentials, operator="carol", mock=True) as other,
    ):
        mine.instrument("psu")
        other.instrument("dmm")
        auth_hub.wait_ingested()  # the holding sessions (and their operators) are stored
        with EventStore(auth_hub.api_url, token=viewer) as store:
            keys = {lock.session_id: lock.key for lock in store.locks()}
        psu, dmm = keys[mine.session_id], keys[other.session_id]
        with EventStore(auth_hub.api_url, token=viewer) as store, pytest.raises(RoleRequired):
            store.release_lock(psu)
        with EventStore(auth_hub.api_url, token=bob) as store:
            with pytest.raises(RoleRequired, match=r"session .* of operator 'alice'"):
                store.release_lock(psu)
            assert {lock.key for lock in store.locks()} == {psu, dmm}
        with EventStore(auth_hub.api_url, token=alice) as store:
            assert store.release_lock(psu, by="someone else").session_id == mine.session_id
            with pytest.raises(RoleRequired, match="carol"):
                store.release_lock(dmm)
            with pytest.raises(NotFound):
                store.release_lock(psu)
        with EventStore(auth_hub.api_url, token=admin) as store:
            assert store.release_lock(dmm).session_id == other.session_id
            assert store.locks() == []
    auth_hub.wait_ingested()
    with EventStore(auth_hub.api_url, token=admin) as store:
        released = [
            event
            for session in store.sessions(station_id="hub")
            for event in store.events(session.session_id, event_type="lock.released")
        ]
    assert sorted((e.key, e.broken_by) for e in released if isinstance(e, LockReleased)) == sorted(
        [
            (dmm, "root"),
            (psu, "alice"),  # the token's name, not the 'by' the caller sent
        ]
    )

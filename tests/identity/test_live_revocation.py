"""A live feed opened with a token ends when that token is revoked, saying why."""

from __future__ import annotations

import time

import httpx

from benchtrail.api.hub.access import token_store
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.hub.live import REVOKED


def test_an_open_live_feed_ends_when_its_token_is_revoked(auth_hub: Hub):
    tokens = token_store(auth_hub.data_dir)
    wall = tokens.create("wall", "viewer").token
    headers = {"Authorization": f"Bearer {wall}"}
    url = f"{auth_hub.api_url}/api/live"
    with (
        httpx.Client(timeout=20, headers=headers) as client,
        client.stream("GET", url, params={"keepalive": 0.2}) as feed,
    ):
        assert feed.status_code == 200
        lines = feed.iter_lines()
        assert next(lines).startswith(":"), "the feed's opening comment"
        tokens.revoke("wall")
        revoked_at = time.monotonic()
        seen = [line for line in lines]  # the server ends the stream
    ended_after = time.monotonic() - revoked_at
    assert "event: closed" in seen and f"data: {REVOKED}" in seen, seen
    assert ended_after < 5, f"the feed went on {ended_after:.1f} s after the revocation"

"""``benchtrail up --http-max-concurrency N``: the N+1st client gets a JSON 503 at once."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from ..hubprocess import hub_process

pytestmark = pytest.mark.slow


def test_up_answers_503_beyond_its_concurrency_limit(tmp_path: Path) -> None:
    options = ("--http-max-concurrency", "2")
    with hub_process(tmp_path / "bt", *options, env={"HOME": str(tmp_path / "home")}) as hub:
        url = hub.api_url
        assert httpx.get(f"{url}/api/health", timeout=10).status_code == 200
        address = urlsplit(url)
        held = [socket.create_connection((address.hostname, address.port)) for _ in range(2)]
        try:
            time.sleep(0.3)  # both accepted: the limit is reached
            started = time.monotonic()
            refused = httpx.get(f"{url}/api/health", timeout=10)
            assert refused.status_code == 503
            assert refused.json()["limit"] == "http_max_concurrency", refused.text
            assert time.monotonic() - started < 1
        finally:
            for sock in held:
                sock.close()
        time.sleep(0.3)
        assert httpx.get(f"{url}/api/health", timeout=10).status_code == 200
    assert hub.returncode == 0, hub.output

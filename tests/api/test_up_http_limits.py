"""``benchtrail up --http-max-concurrency N``: the N+1st client gets 503 at once."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_up_answers_503_beyond_its_concurrency_limit(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "benchtrail.api", "up", "--data-dir", str(tmp_path / "bt")]
    command += ["--http-port", str(_free_port()), "--nats-port", "0", "--http-max-concurrency", "2"]
    env = {**os.environ, "COLUMNS": "200", "HOME": str(tmp_path / "home")}
    process = subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stderr is not None
    seen: list[str] = []
    try:
        for line in process.stderr:
            seen.append(line)
            if "Ctrl-C stops everything" in line:
                break
        match = re.search(r"API\s+http://(127\.0\.0\.1):(\d+)", "".join(seen))
        assert match, "".join(seen)
        url = f"http://{match.group(1)}:{match.group(2)}"
        assert httpx.get(f"{url}/api/health", timeout=10).status_code == 200
        address = (match.group(1), int(match.group(2)))
        held = [socket.create_connection(address) for _ in range(2)]
        try:
            time.sleep(0.3)  # both accepted: the limit is reached
            started = time.monotonic()
            assert httpx.get(f"{url}/api/health", timeout=10).status_code == 503
            assert time.monotonic() - started < 1
        finally:
            for sock in held:
                sock.close()
        time.sleep(0.3)
        assert httpx.get(f"{url}/api/health", timeout=10).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        rest = process.stderr.read()
        process.stderr.close()
        assert process.wait(60) == 0, "".join(seen) + rest

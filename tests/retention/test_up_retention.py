"""``benchtrail up`` in a project whose ``benchtrail.yaml`` sets the hub's retention."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_up_applies_the_retention_of_the_project_file(tmp_path: Path):
    (tmp_path / "benchtrail.yaml").write_text("hub:\n  retention:\n    days: 30\n")
    command = [sys.executable, "-m", "benchtrail.api", "up", "--data-dir", str(tmp_path / "bt")]
    command += ["--http-port", str(_free_port()), "--nats-port", "0"]
    env = {**os.environ, "COLUMNS": "200", "HOME": str(tmp_path / "home")}
    env.pop("XDG_CONFIG_HOME", None)
    process = subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stderr is not None
    seen: list[str] = []
    try:
        for line in process.stderr:
            seen.append(line)
            if "Ctrl-C stops everything" in line:
                break
        announced = "".join(seen)
        assert "Retention: data older than 30d is pruned hourly." in announced
        match = re.search(r"API\s+(http://127\.0\.0\.1:\d+)", announced)
        assert match, announced
        health = httpx.get(f"{match.group(1)}/api/health").json()
        assert health["retention"]["older_than"] == "30d"
        assert health["retention"]["interval_s"] == 3600.0
    finally:
        process.send_signal(signal.SIGINT)
        rest = process.stderr.read()
        process.stderr.close()
        assert process.wait(60) == 0, "".join(seen) + rest

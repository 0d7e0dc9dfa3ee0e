"""``benchtrail up --demo`` as a user runs it: a real process tree, stopped by a signal."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from ..hubprocess import hub_process, up_command

pytestmark = pytest.mark.slow


def _wait_for_runs(api: str, minimum: int, seconds: float = 90) -> list[dict[str, object]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        runs = httpx.get(f"{api}/api/runs", params={"limit": 1000}).json()["items"]
        finished = [r for r in runs if r["outcome"] is not None]
        if len(finished) >= minimum:
            return finished
        time.sleep(0.25)  # the demo stations record on their own clock; nothing to await
    raise AssertionError(f"fewer than {minimum} finished demo runs after {seconds} s")


def test_up_demo_records_stops_cleanly_and_keeps_data_across_restarts(
    tmp_path: Path, outbox_dir: Path
):
    data_dir = tmp_path / "bt"
    demo = ("--demo", "--demo-stations", "2")
    with hub_process(data_dir, *demo, stop_signal=signal.SIGINT) as hub:
        api = hub.api_url
        assert hub.banner.startswith("╭"), f"the banner comes first:\n{hub.banner}"
        runs = _wait_for_runs(api, minimum=4)
        assert {r["station_id"] for r in runs} <= {"demo-1", "demo-2"}
        assert {r["outcome"] for r in runs} <= {"passed", "failed"}
        assert all(r["dut_part_number"] == "REG-5V" for r in runs)
        stations = httpx.get(f"{api}/api/stations").json()
        assert {s["station_id"] for s in stations} == {"demo-1", "demo-2"}
        # checked once demo-1 has recorded (its outbox opens as it starts, after the banner)
        assert (data_dir / "outbox" / "demo-1").is_dir(), "the demo's outbox is in its data dir"
        assert not (outbox_dir / "demo-1").exists(), "not where every other clone's stations spool"
    assert hub.returncode == 0, hub.output
    assert "stopped cleanly" in hub.after_banner
    assert (data_dir / "jetstream").is_dir() and (data_dir / "warehouse").is_dir()

    with hub_process(data_dir) as hub:
        api = hub.api_url
        again = httpx.get(f"{api}/api/runs", params={"limit": 1000}).json()["items"]
        assert {r["run_id"] for r in runs} <= {r["run_id"] for r in again}
        sessions = httpx.get(f"{api}/api/sessions").json()["items"]
        assert sessions and all(s["status"] == "ended" for s in sessions), (
            "the demo stations ended their sessions on shutdown, and that was recorded"
        )
    assert hub.returncode == 0, hub.output
    assert "stopped cleanly" in hub.after_banner


@pytest.mark.parametrize(
    ("option", "variable"), [("--nats-port", "NATS_PORT"), ("--http-port", "HTTP_PORT")]
)
def test_a_busy_port_fails_at_once_with_the_reason_and_how_to_choose_another(
    tmp_path: Path, option: str, variable: str
):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        started = time.monotonic()
        done = subprocess.run(
            up_command(tmp_path, option, port),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        took = time.monotonic() - started

    assert done.returncode != 0
    assert took < 3, f"a busy port took {took:.1f} s to report"
    assert f"127.0.0.1:{port}" in done.stderr
    assert "address already in use" in done.stderr.lower()
    assert f"{option} N" in done.stderr and f"make demo {variable}=N" in done.stderr

"""A real hub under readers of big pages keeps ingesting, answers health and stays in its memory.

``benchtrail up`` runs as its own process; a station records throughout while six
clients read 50,000-point pages in a loop. Reads take turns (``--max-concurrent-reads``,
default 1), so the readers slow each other down, not the projector or ``/api/health``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from benchtrail.agents import connect
from benchtrail.api.hub.options import MEMORY_CEILING_MIB

from ..hubprocess import HubProcess, hub_process

pytestmark = pytest.mark.slow


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubProcess]:
    with hub_process(tmp_path / "bt", env={"HOME": str(tmp_path / "home")}) as running:
        yield running


def test_readers_of_big_pages_do_not_stall_ingestion_or_health(
    hub: HubProcess,
) -> None:
    api, nats_url = hub.api_url, hub.nats_url
    stop, health_ms, lags, answers, peak = threading.Event(), [], [], [], [0.0]
    with connect("cell-read", hub=nats_url, flush_timeout=60) as station:
        with station.run(dut_serial="SN-READ") as run:
            run.measure_batch("ripple", np.arange(60_000, dtype=float), interval_ns=1000)
            station.flush()

            def read() -> None:
                with httpx.Client(base_url=api, timeout=30) as client:
                    while not stop.is_set():
                        page = client.get("/api/measurements", params={"limit": 50_000})
                        answers.append(page.status_code)

            def watch() -> None:
                with httpx.Client(base_url=api, timeout=30) as client:
                    while not stop.wait(0.1):
                        started = time.perf_counter()
                        body = client.get("/api/health").raise_for_status().json()
                        health_ms.append((time.perf_counter() - started) * 1000)
                        lags.append(body["hub"]["ingest_lag_s"])
                        peak[0] = max(peak[0], _rss_mib(hub.pid))

            threads = [threading.Thread(target=read) for _ in range(6)]
            threads.append(threading.Thread(target=watch))
            for thread in threads:
                thread.start()
            sent, deadline = 0, time.monotonic() + 8
            while time.monotonic() < deadline:  # 500 measurements/s while the readers read
                run.measure("vout", float(sent), unit="V")
                sent += 1
                time.sleep(0.002)
            stop.set()
            for thread in threads:
                thread.join(60)
        station.flush()
        session_id = station.session_id

    assert set(answers) <= {200, 503}, answers
    assert answers.count(200) >= 3
    assert np.percentile(health_ms, 99) <= 200, sorted(health_ms)[-5:]
    # The hub's lag check runs every 2 s. On a quiet machine benchmarks/abuse.py measures
    # p99 <= 1 s with 20 readers; here CI's other tests share the two cores. The lag grew
    # past 20 s before reads took turns.
    assert max(lags) <= 2.0, lags
    assert peak[0] <= MEMORY_CEILING_MIB
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        counts = httpx.get(f"{api}/api/sessions/{session_id}", timeout=30).json()["counts"]
        if counts["measurement_count"] >= 60_000 + sent:
            break
        time.sleep(0.2)
    assert counts["measurement_count"] == 60_000 + sent

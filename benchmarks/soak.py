"""Soak: ``benchtrail up --demo`` for N minutes, as a user runs it; do the stations last?

Starts the hub as a separate process (the real command, on free ports, in a
temporary data folder), samples ``GET /api/health`` every second for N minutes,
then stops it with SIGINT and prints:

- **station deaths**: demo stations that stopped while the demo ran (must be 0);
- **errors recovered**: errors the stations met and went on after (instrument,
  lock and hub errors, recorded as events);
- **runs recorded**: DUT runs the stations finished, and the runs the warehouse holds
  (by outcome);
- **hub RSS** at start and at the end (the hub process: API, projector, warehouse and
  the demo stations; nats-server is its child and shown apart), from ``/proc``;
- **/api/health latency** p50 / p99 / max over the samples.

    uv run python benchmarks/soak.py                 # 30 minutes
    uv run python benchmarks/soak.py --minutes 3 --stations 3
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/hubprocess.py
from tests.hubprocess import hub_process


def rss_mib(pid: int) -> float:
    """Resident memory of a process in MiB, from ``/proc/<pid>/status``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (nats-server is the hub's)."""
    tasks = Path(f"/proc/{pid}/task").glob("*/children")  # any thread may have started it
    return sorted({int(child) for task in tasks for child in task.read_text().split()})


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def sample(api: str, minutes: float) -> tuple[list[float], list[dict[str, object]], int]:
    """``GET /api/health`` every second; its latencies (ms), the last demo status, failures."""
    latencies: list[float] = []
    demo: list[dict[str, object]] = []
    failures = 0
    deadline = time.monotonic() + minutes * 60
    next_report = time.monotonic() + 60
    with httpx.Client(base_url=api, timeout=10) as client:
        while time.monotonic() < deadline:
            tick = time.monotonic()
            try:
                response = client.get("/api/health")
                latencies.append((time.monotonic() - tick) * 1000)
                demo = response.json().get("demo") or demo
            except httpx.HTTPError:
                failures += 1
            if time.monotonic() >= next_report:
                next_report += 60
                states = ", ".join(f"{s['station_id']} {s['state']} {s['runs']}" for s in demo)
                print(f"  {(deadline - time.monotonic()) / 60:5.1f} min left: {states}", flush=True)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    return latencies, demo, failures


def warehouse_runs(api: str) -> dict[str, int]:
    """Runs the warehouse holds, by outcome, over every station."""
    rows = httpx.get(f"{api}/api/analytics/yield", timeout=30).json()
    totals = {"runs": 0, "passed": 0, "failed": 0, "error": 0, "aborted": 0, "running": 0}
    for row in rows:
        for key in totals:
            totals[key] += int(row[key])
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="how long (default 30)")
    parser.add_argument("--stations", type=int, default=3, help="demo stations (default 3)")
    args = parser.parse_args()

    demo_options = ("--demo", "--demo-stations", str(args.stations))
    with tempfile.TemporaryDirectory(prefix="bt-soak-") as tmp:
        data_dir = Path(tmp) / "data"
        outbox = {"BENCHTRAIL_OUTBOX_DIR": str(data_dir / "outbox")}
        with hub_process(
            data_dir, *demo_options, env=outbox, stop_signal=signal.SIGINT, stop_timeout=120
        ) as hub:
            api = hub.api_url
            print(
                f"benchtrail up --demo (pid {hub.pid}) at {api}; {args.minutes:g} min", flush=True
            )
            time.sleep(1.0)  # the stations open their first sessions
            nats_pids = child_pids(hub.pid)
            rss_start = rss_mib(hub.pid)
            nats_start = sum(rss_mib(p) for p in nats_pids)
            latencies, demo, failures = sample(api, args.minutes)
            rss_end = rss_mib(hub.pid)
            nats_end = sum(rss_mib(p) for p in nats_pids if Path(f"/proc/{p}").exists())
            demo = httpx.get(f"{api}/api/health", timeout=10).json().get("demo") or demo
            stored = warehouse_runs(api)
        code, log = hub.returncode, hub.lines

    deaths = [s for s in demo if s["state"] == "stopped"]
    print()
    print(
        f"station deaths:         {len(deaths)}"
        + "".join(f"\n  {s['station_id']}: {s['stopped_reason']}" for s in deaths)
    )
    print(f"errors recovered:       {sum(int(str(s['errors'])) for s in demo if s not in deaths)}")
    for s in demo:
        if s["last_error"]:
            print(f"  last on {s['station_id']}: {s['last_error']}")
    finished = sum(int(str(s["runs"])) for s in demo)
    print(f"runs recorded:          {finished} passed or failed (as the stations counted)")
    print(
        f"runs in the warehouse:  {stored['runs']} (passed {stored['passed']}, failed "
        f"{stored['failed']}, error {stored['error']}, aborted {stored['aborted']}, "
        f"running {stored['running']})"
    )
    print(f"hub RSS:                {rss_start:.0f} MiB at start, {rss_end:.0f} MiB at the end")
    print(f"nats-server RSS:        {nats_start:.0f} MiB at start, {nats_end:.0f} MiB at the end")
    print(
        f"/api/health latency:    p50 {percentile(latencies, 0.5):.1f} ms, p99 "
        f"{percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms "
        f"({len(latencies)} samples, {failures} failed, mean {statistics.fmean(latencies):.1f} ms)"
    )
    tracebacks = sum("Traceback" in line for line in log)
    print(f"hub exit status:        {code}; tracebacks in its log: {tracebacks}")


if __name__ == "__main__":
    main()

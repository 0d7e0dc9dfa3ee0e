"""What the OpenHTF and Bluesky adapters cost, beside the tools' own rates.

Starts ``benchtrail up`` as its own process, then for each tool:

- OpenHTF: one phase setting ``--measurements`` measurements (with limits, units and
  docstrings), executed without benchtrail (OpenHTF's own rate, measurements/s), and
  its test record then given to ``BenchtrailOutput`` (the adapter's cost per
  measurement, the record's phases and log records included);
- Bluesky: ``count([det1, det2], num=--points)`` on ophyd.sim run by a RunEngine
  without subscribers (Bluesky's own rate, documents/s), and its documents then fed
  to ``BenchtrailCallback`` (the adapter's cost per event document).

Prints both rates, the adapter's cost per item and the ratio of the adapter's time to
the tool's own, and the time the hub took to acknowledge everything recorded.

    uv run python benchmarks/adapter_overhead.py
    uv run python benchmarks/adapter_overhead.py --measurements 5000 --points 500 --repeat 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys_argv, sys.argv = sys.argv, sys.argv[:1]  # openhtf parses sys.argv when it loads
import openhtf as htf  # noqa: E402
from openhtf.util import units  # noqa: E402

sys.argv = sys_argv

from bluesky import RunEngine  # noqa: E402
from bluesky.plans import count  # noqa: E402
from ophyd.sim import det1, det2  # noqa: E402

from benchtrail.agents import Station, connect  # noqa: E402
from benchtrail.agents.adapters.bluesky import BenchtrailCallback  # noqa: E402
from benchtrail.agents.adapters.openhtf import BenchtrailOutput  # noqa: E402


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_hub(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    """``benchtrail up`` on free ports; its process and NATS URL."""
    http_port, nats_port = _free_port(), _free_port()
    command = [sys.executable, "-m", "benchtrail.api", "up", "--data-dir", str(data_dir)]
    command += ["--http-port", str(http_port), "--nats-port", str(nats_port)]
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"}
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "Ctrl-C stops everything" in line:
            break
    threading.Thread(target=lambda: [None for _ in process.stderr or []], daemon=True).start()
    return process, f"nats://127.0.0.1:{nats_port}"


def openhtf_test(count_: int) -> htf.Test:
    """One phase setting ``count_`` measurements, each with limits, a unit and a docstring."""
    names = [f"m{i}" for i in range(count_)]
    declared = [
        htf.Measurement(name).in_range(0, 10).with_units(units.VOLT).doc(f"rail {name}")
        for name in names
    ]

    @htf.measures(*declared)
    def many(test: Any) -> None:
        for index, name in enumerate(names):
            test.measurements[name] = index % 10

    return htf.Test(many)


def time_openhtf(station: Station, count_: int) -> tuple[float, float]:
    """(OpenHTF's seconds for the test, the adapter's seconds for its record)."""
    records: list[Any] = []
    test = openhtf_test(count_)
    test.add_output_callbacks(records.append)
    started = time.perf_counter()
    test.execute(test_start=lambda: "SN-BENCH")
    tool = time.perf_counter() - started
    output = BenchtrailOutput(station)
    started = time.perf_counter()
    output(records[0])
    return tool, time.perf_counter() - started


def time_bluesky(station: Station, points: int) -> tuple[float, float, int]:
    """(Bluesky's seconds for the run, the adapter's seconds for its documents, documents)."""
    loop = asyncio.new_event_loop()
    engine = RunEngine({}, loop=loop)
    docs: list[tuple[str, dict[str, Any]]] = []
    try:
        started = time.perf_counter()
        engine(count([det1, det2], num=points), lambda name, doc: docs.append((name, doc)))
        tool = time.perf_counter() - started
    finally:
        loop.call_soon_threadsafe(loop.stop)
        engine._th.join()
        loop.close()
    callback = BenchtrailCallback(station)
    started = time.perf_counter()
    for name, doc in docs:
        callback(name, doc)
    return tool, time.perf_counter() - started, len(docs)


def report(label: str, unit: str, items: int, tool: list[float], adapter: list[float]) -> None:
    tool_s, adapter_s = statistics.median(tool), statistics.median(adapter)
    print(
        f"{label}: {items} {unit} per run, median of {len(tool)} runs\n"
        f"  tool alone   {items / tool_s:>10,.0f} {unit}/s  ({tool_s * 1e6 / items:7.1f} µs each)\n"
        f"  adapter      {items / adapter_s:>10,.0f} {unit}/s  "
        f"({adapter_s * 1e6 / items:7.1f} µs each)\n"
        f"  adapter / tool time: {adapter_s / tool_s:.3g}"
    )


def measure(nats_url: str, args: argparse.Namespace) -> None:
    with connect("bench-adapters", hub=nats_url, flush_timeout=120) as station:
        htf_tool, htf_adapter = [], []
        bs_tool, bs_adapter, documents = [], [], 0
        time_openhtf(station, 50)  # warm up both
        time_bluesky(station, 5)
        for _ in range(args.repeat):
            tool, adapter = time_openhtf(station, args.measurements)
            htf_tool.append(tool)
            htf_adapter.append(adapter)
            tool, adapter, documents = time_bluesky(station, args.points)
            bs_tool.append(tool)
            bs_adapter.append(adapter)
        started = time.perf_counter()
        station.flush()
        acked = time.perf_counter() - started
    report("OpenHTF", "measurements", args.measurements, htf_tool, htf_adapter)
    report("Bluesky", "documents", documents, bs_tool, bs_adapter)
    print(f"hub acknowledged the rest {acked * 1e3:.0f} ms after the last run was recorded")


def main() -> None:
    """Parse the arguments, start a hub, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measurements", type=int, default=2000)
    parser.add_argument("--points", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        hub, nats_url = start_hub(Path(data_dir))
        try:
            measure(nats_url, args)
        finally:
            hub.terminate()
            hub.wait(30)


if __name__ == "__main__":
    main()

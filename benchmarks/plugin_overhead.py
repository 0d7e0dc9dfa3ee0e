"""What the benchtrail pytest plugin costs a test suite that does not use it.

Runs a test suite many times with the plugin enabled but idle (it is installed, so
pytest loads it; no ``--bt-station``) and with ``-p no:benchtrail``, alternating, and
prints the median wall time of each, their difference, and the time to import
``benchtrail.agents.pytest_plugin`` on top of pytest (timed subprocesses, and the
plugin's own line of ``python -X importtime``).

    uv run python benchmarks/plugin_overhead.py /tmp/itsdangerous-2.2.0
    uv run python benchmarks/plugin_overhead.py SUITE --python /tmp/venv/bin/python --runs 30

The suite runs from its own directory with ``<suite>/src`` on ``PYTHONPATH`` when that
folder exists; ``--python`` picks an environment holding the suite's test dependencies
and benchtrail-agents.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

PLUGIN = "benchtrail.agents.pytest_plugin"


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall time of one run of ``command``; fails if it fails."""
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def suite_times(
    python: str, suite: Path, runs: int, extra: list[str]
) -> tuple[list[float], list[float]]:
    """Wall times of the suite with the plugin idle and without it, ``runs`` each, alternating."""
    env = dict(os.environ)
    if (suite / "src").is_dir():
        paths = [str(suite / "src"), env.get("PYTHONPATH", "")]
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    base = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra]
    if any("benchtrail" in arg or arg.startswith("--bt-") for arg in extra):
        raise SystemExit("give the suite's own options only: the plugin is switched here")
    timed(base, suite, env)  # warm the file cache and bytecode
    timed([*base, "-p", "no:benchtrail"], suite, env)
    with_plugin, without = [], []
    for _ in range(runs):
        with_plugin.append(timed(base, suite, env))
        without.append(timed([*base, "-p", "no:benchtrail"], suite, env))
    return with_plugin, without


def import_times(python: str, runs: int) -> tuple[float, float]:
    """Median seconds of ``import pytest`` with and without the plugin, in fresh processes."""
    bare = [python, "-c", "import pytest"]
    plugin = [python, "-c", f"import pytest, {PLUGIN}"]
    cwd, env = Path.cwd(), dict(os.environ)
    alone = [timed(bare, cwd, env) for _ in range(runs)]
    both = [timed(plugin, cwd, env) for _ in range(runs)]
    return statistics.median(alone), statistics.median(both)


def importtime_line(python: str) -> int:
    """The plugin's cumulative import time in µs (after pytest), from ``-X importtime``."""
    command = [python, "-X", "importtime", "-c", f"import pytest, {PLUGIN}"]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    for line in done.stderr.splitlines():
        found = re.match(rf"import time:\s+\d+ \|\s+(\d+) \| {re.escape(PLUGIN)}$", line)
        if found:
            return int(found.group(1))
    raise SystemExit(f"no import time line for {PLUGIN}")


def main() -> None:
    """Parse the arguments, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", type=Path, help="the test suite's directory (its rootdir)")
    parser.add_argument("--python", default=sys.executable, help="interpreter to run it with")
    parser.add_argument("--runs", type=int, default=20, help="runs of each kind")
    parser.add_argument("pytest_args", nargs="*", help="more pytest options (after --)")
    args = parser.parse_args()
    suite = args.suite.resolve()
    with_plugin, without = suite_times(args.python, suite, args.runs, args.pytest_args)
    on, off = statistics.median(with_plugin), statistics.median(without)
    print(f"suite {suite} ({args.runs} runs each, alternating)")
    print(f"  plugin enabled, idle   median {on:6.3f} s  (min {min(with_plugin):.3f})")
    print(f"  -p no:benchtrail       median {off:6.3f} s  (min {min(without):.3f})")
    print(f"  difference             {on - off:+6.3f} s")
    bare, plugin = import_times(args.python, args.runs)
    print(f"import pytest            median {bare:6.3f} s")
    print(f"  + {PLUGIN}  median {plugin:6.3f} s ({plugin - bare:+.3f} s)")
    print(f"  -X importtime, cumulative: {importtime_line(args.python) / 1000:.1f} ms")


if __name__ == "__main__":
    main()

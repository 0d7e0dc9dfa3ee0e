"""The chaos program, short: every fault once on one server; the counts must come out clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHAOS = Path(__file__).parents[2] / "benchmarks" / "chaos.py"


def test_short_chaos_run_loses_doubles_and_lets_through_nothing(tmp_path: Path):
    run = subprocess.run(
        [sys.executable, str(CHAOS), "--short", "--topology", "single", "--stations", "2"],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    report = run.stdout + run.stderr[-3000:]
    assert run.returncode == 0, report
    assert "| lost | 0 |" in run.stdout, report
    assert "| duplicated | 0 |" in run.stdout, report
    assert "| quarantined | 1,000 |" in run.stdout, report
    assert "verdict: 0 lost, 0 duplicated, all bad input quarantined" in run.stdout, report

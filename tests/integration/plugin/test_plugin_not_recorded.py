"""The plugin is never silently green: an unrecorded session exits 3 and says where its
events are; an interrupted one says after how many tests it stopped."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchtrail.agents.publishing.outbox_admin import outbox_status

UNREACHABLE = "nats://127.0.0.1:1"
"""A hub nobody listens on: every connection is refused."""

SUITE = """
def test_vout(bt_measure):
    bt_measure("vout", 5.0, "V", low=4.9, high=5.1)


def test_vin(bt_measure):
    bt_measure("vin", 12.0, "V")


def test_plain():
    pass
"""

KEPT = re.compile(
    r"benchtrail: NOT recorded: (\d+) event\(s\) are kept in (.+?): the hub at "
    r"'nats://127\.0\.0\.1:1' never answered within (\S+) s .*; deliver them with: "
    r"benchtrail outbox flush --station cell-7$"
)


def _kept(result: pytest.RunResult) -> re.Match[str]:
    lines = [m for line in result.outlines if (m := KEPT.match(line))]
    assert len(lines) == 1, result.stdout.str()
    return lines[0]


def _flush(hub: str) -> subprocess.CompletedProcess[str]:
    """``benchtrail outbox flush --station cell-7`` as the line says (to the test's hub)."""
    command = Path(sys.executable).parent / "benchtrail"
    return subprocess.run(
        [str(command), "outbox", "flush", "--station", "cell-7", "--hub", hub],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _session_seconds(result: pytest.RunResult) -> float:
    """How long the session took, as pytest's last line says (interpreter start-up excluded)."""
    found = re.search(r" in (\d+\.\d+)s", result.outlines[-1])
    assert found is not None, result.outlines[-1]
    return float(found.group(1))


def _run_id(result: pytest.RunResult) -> str:
    found = re.search(r"^run (\S+) .*on station 'cell-7'", result.stdout.str(), re.MULTILINE)
    assert found is not None, result.stdout.str()
    return found.group(1)


def test_an_unreachable_hub_fails_fast_with_status_3_and_flush_delivers_everything(
    bench, outbox_dir
):
    bench.pytester.makepyfile(test_power=SUITE)
    result = bench.run(
        "--bt-station", "cell-7", "--bt-hub", UNREACHABLE, "--bt-connect-timeout", "2",
        hub_flag=False,
    )  # fmt: skip

    assert result.ret == 3, result.stdout.str()
    took = _session_seconds(result)
    assert took < 15, f"the session took {took} s with the hub unreachable (it waited 30 s)"
    result.stdout.fnmatch_lines(["*cell-7': passed, but NOT recorded yet; 3 step(s)*"])
    kept = _kept(result)
    events, where, waited = int(kept.group(1)), kept.group(2), kept.group(3)
    assert waited == "2"
    outbox_file = Path(where.removeprefix("the outbox file "))
    assert outbox_file.parent == outbox_dir / "cell-7"
    (status,) = outbox_status(outbox_dir, "cell-7")
    assert (status.path, status.pending_events, status.owner) == (
        str(outbox_file),
        events,
        "orphan",
    )

    flushed = _flush(bench.hub.nats.url)
    assert flushed.returncode == 0, flushed.stderr
    assert f"cell-7: {events} event(s) delivered" in flushed.stdout
    bench.hub.wait_ingested()
    (run,) = bench.rows(
        "SELECT e.outcome AS outcome, e.step_count AS steps, e.measurement_count AS measured"
        " FROM {db}.run_ends AS e FINAL WHERE run_id = '" + _run_id(result) + "'"
    )
    assert run == {"outcome": "passed", "steps": 3, "measured": 2}
    assert bench.rows("SELECT count() AS n FROM {db}.session_ends FINAL") == [{"n": 1}]
    assert outbox_status(outbox_dir, "cell-7") == [], "nothing left behind"


def test_under_xdist_every_process_says_what_it_kept(bench, outbox_dir):
    bench.pytester.makeini("[pytest]\nbenchtrail_connect_timeout = 1\n")
    bench.pytester.makepyfile(test_power=SUITE)
    result = bench.run("-n", "2", "--bt-station", "cell-7", "--bt-hub", UNREACHABLE, hub_flag=False)

    assert result.ret == 3, result.stdout.str()
    kept = _kept(result)
    assert kept.group(2) == f"3 outbox files in {outbox_dir / 'cell-7'}"
    assert kept.group(3) == "1"
    files = outbox_status(outbox_dir, "cell-7")
    assert len(files) == 3
    assert int(kept.group(1)) == sum(f.pending_events for f in files)

    assert _flush(bench.hub.nats.url).returncode == 0
    bench.hub.wait_ingested()
    (run,) = bench.rows(
        "SELECT outcome, step_count, measurement_count FROM {db}.run_ends FINAL"
        " WHERE run_id = '" + _run_id(result) + "'"
    )
    assert run == {"outcome": "passed", "step_count": 3, "measurement_count": 2}
    assert len(bench.rows("SELECT name FROM {db}.measurements FINAL")) == 2


def test_a_failing_suite_that_is_not_recorded_exits_3_too(bench):
    bench.pytester.makepyfile("def test_fails():\n    assert 1 + 1 == 3\n")
    result = bench.run(
        "--bt-station", "cell-7", "--bt-hub", UNREACHABLE, "--bt-connect-timeout", "0",
        hub_flag=False,
    )  # fmt: skip
    assert result.ret == 3
    result.stdout.fnmatch_lines(["*cell-7': failed, but NOT recorded yet; 1 step(s)*"])
    _kept(result)


def test_with_the_outbox_off_the_line_says_the_events_are_lost(bench):
    bench.pytester.makefile(
        ".yaml", benchtrail="stations:\n  cell-7:\n    outbox: {enabled: false}\n"
    )
    bench.pytester.makepyfile("def test_a():\n    pass\n")
    result = bench.run(
        "--bt-station", "cell-7", "--bt-hub", UNREACHABLE, "--bt-connect-timeout", "0",
        hub_flag=False,
    )  # fmt: skip
    assert result.ret == 3
    result.stdout.fnmatch_lines(
        ["benchtrail: NOT recorded: * event(s) were not delivered and are lost (the station's"
         " outbox is off): the hub at 'nats://127.0.0.1:1' never answered within 0 s*"]
    )  # fmt: skip


TERMINATED_AFTER_A_FAILURE = """
import os
import signal
import threading


def test_a():
    assert 1 + 1 == 3


def test_b():
    os.kill(os.getpid(), signal.SIGTERM)  # e.g. CI cancelling the job
    threading.Event().wait(10)


def test_c():
    pass
"""


def test_sigterm_after_a_failure_says_after_how_many_tests_it_stopped(bench):
    bench.pytester.makepyfile(test_cancelled=TERMINATED_AFTER_A_FAILURE)
    result = bench.run("--bt-station", "cell-7", "--bt-dut-serial", "SN-9")

    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["run * of DUT 'SN-9' on station 'cell-7': aborted, interrupted after 1 of 3 tests"
         " (signal SIGTERM); 2 step(s)*"]
    )  # fmt: skip
    assert "NOT recorded" not in result.stdout.str()
    (run,) = bench.rows(
        "SELECT outcome, error FROM {db}.run_ends FINAL WHERE run_id = '" + _run_id(result) + "'"
    )
    assert run["outcome"] == "aborted"
    assert run["error"] == (
        "interrupted after 1 of 3 tests (signal SIGTERM); 1 failed: test_cancelled.py::test_a"
    )
    (session,) = bench.rows("SELECT reason FROM {db}.session_ends FINAL")
    assert session["reason"] == "interrupted after 1 of 3 tests (signal SIGTERM)"

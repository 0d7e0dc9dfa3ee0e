"""The tests' log records become log events of the run, at their level and above."""

from __future__ import annotations

import pytest

from benchtrail.api import EventStore

SUITE = """
import logging
import time

log = logging.getLogger("dut.power")


def test_logs():
    log.debug("rail check starting")
    log.info("rails at 5.01 V")
    log.warning("ripple close to its limit: 48 mV")
    time.sleep(0.05)
    log.error("3V3 rail dropped for 2 ms")


def test_quiet():
    time.sleep(0.02)
"""


def _run_id(bench) -> str:
    [run] = bench.rows("SELECT run_id FROM {db}.runs FINAL")
    return str(run["run_id"])


def test_warnings_and_above_are_recorded_by_default_at_their_own_time(bench) -> None:
    bench.pytester.makepyfile(test_suite=SUITE)
    result = bench.run("--bt-station", "cell-7")
    result.assert_outcomes(passed=2)

    with EventStore(bench.hub.api_url) as store:
        lines = store.logs(_run_id(bench), logger="dut.power")
        run = store.run(_run_id(bench))
    assert [(line.level, line.message) for line in lines] == [
        ("warning", "ripple close to its limit: 48 mV"),
        ("error", "3V3 rail dropped for 2 ms"),
    ]
    assert lines[1].at_ns - lines[0].at_ns >= 50_000_000  # the records' own times
    assert all(line.source.startswith("test_suite.py:") for line in lines)
    for step in run.steps:
        assert step.ended_at_ns - step.started_at_ns == step.duration_ns


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (
            "INFO",
            ["rails at 5.01 V", "ripple close to its limit: 48 mV", "3V3 rail dropped for 2 ms"],
        ),
        ("OFF", []),
    ],
)
def test_the_level_is_an_option(bench, level: str, expected: list[str]) -> None:
    bench.pytester.makepyfile(test_suite=SUITE)
    bench.run("--bt-station", "cell-7", "--bt-log-level", level).assert_outcomes(passed=2)

    with EventStore(bench.hub.api_url) as store:
        lines = store.logs(_run_id(bench), logger="dut.power")
    assert [line.message for line in lines] == expected


def test_an_unknown_level_is_refused_naming_the_option(bench) -> None:
    bench.pytester.makepyfile(test_suite=SUITE)
    result = bench.run("--bt-station", "cell-7", "--bt-log-level", "LOUD")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--bt-log-level: expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL, OFF, got 'LOUD'*"]
    )

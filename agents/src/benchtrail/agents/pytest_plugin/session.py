"""The hooks of the process that runs the pytest session (pytest alone, or xdist's controller).

It opens the benchtrail session and the run, records one step per test from the test
reports (under xdist the workers' reports reach these hooks too, so every test is
recorded exactly once, here), and ends the run and the session when pytest finishes.
"""

from __future__ import annotations

import shlex

import pytest

from benchtrail.agents.pytest_plugin.options import Settings
from benchtrail.agents.pytest_plugin.recorder import Recorder
from benchtrail.agents.pytest_plugin.state import RECORDER
from benchtrail.agents.pytest_plugin.steps import StepRecord, Verdict


class SessionPlugin:
    """Records the pytest session: one benchtrail session, one run, one step per test."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.recorder: Recorder | None = None
        self.verdict = Verdict()
        self.problems: list[str] = []
        self.worker_measurements = 0
        self.worker_failed_measurements = 0
        self._steps: dict[str, StepRecord] = {}

    @pytest.hookimpl(tryfirst=True)  # before xdist starts its workers, which need the run id
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Open the session and the run."""
        args = shlex.join(str(arg) for arg in self.config.invocation_params.args)
        self.recorder = Recorder.for_session(self.settings, args)
        self.config.stash[RECORDER] = self.recorder

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        """Say where this session is recorded."""
        recorder = self.recorder
        if recorder is None:
            return []
        return [
            f"benchtrail: station {recorder.station.station_id!r} on {recorder.station.hub}, "
            f"session {recorder.station.session_id}, run {recorder.run.run_id}"
        ]

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        """Record ``step.started`` for a test."""
        self._steps[nodeid] = self._recorder().start_step(nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Fold in a phase; record ``step.ended`` once the test is over."""
        step = self._steps.get(report.nodeid) or self._recorder().start_step(report.nodeid)
        self._steps[report.nodeid] = step
        if step.add(report):
            del self._steps[report.nodeid]
            self._end_step(step)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A test file that cannot be collected makes the run an error."""
        self.verdict.add_collection_error(report)

    def add_worker_counts(self, measurements: int, failed: int, problem: str) -> None:
        """Add what an xdist worker measured (and any problem it had recording it)."""
        self.worker_measurements += measurements
        self.worker_failed_measurements += failed
        if problem:
            self.problems.append(problem)

    def pytest_sessionfinish(
        self, session: pytest.Session, exitstatus: int | pytest.ExitCode
    ) -> None:
        """End unfinished steps, the run (with its verdict) and the session."""
        recorder = self.recorder
        if recorder is None:
            return
        for step in list(self._steps.values()):
            step.interrupt(exitstatus == pytest.ExitCode.INTERRUPTED)
            self._end_step(step)
        self._steps.clear()
        recorder.run.measurement_count += self.worker_measurements
        recorder.run.failed_measurement_count += self.worker_failed_measurements
        recorder.end_run(*self.verdict.outcome(exitstatus))
        self._close(session)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Show the run that was recorded, and anything that could not be recorded."""
        recorder = self.recorder
        if recorder is None:
            return
        run = recorder.run
        terminalreporter.write_sep("-", "benchtrail")
        dut = f" of DUT {self.settings.dut_serial!r}" if self.settings.dut_serial else ""
        terminalreporter.write_line(
            f"run {run.run_id}{dut} on station {recorder.station.station_id!r}: {run.outcome}; "
            f"{run.step_count} step(s), {run.measurement_count} measurement(s), "
            f"{run.failed_measurement_count} failed"
        )
        for problem in self.problems:
            terminalreporter.write_line(
                f"benchtrail: not everything was recorded: {problem}", red=True
            )

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """Stop the session if pytest stopped before finishing it."""
        if self.recorder is not None and self.recorder.station.state == "running":
            self.recorder.close()

    def _end_step(self, step: StepRecord) -> None:
        self._recorder().end_step(step)
        self.verdict.add(step)

    def _close(self, session: pytest.Session) -> None:
        problem = self._recorder().close()
        if problem:
            self.problems.append(problem)
        if self.problems and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.INTERNAL_ERROR

    def _recorder(self) -> Recorder:
        if self.recorder is None:
            raise RuntimeError("benchtrail: the session is not open yet")
        return self.recorder

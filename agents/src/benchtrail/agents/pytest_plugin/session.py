"""The hooks of the process that runs the pytest session (pytest alone, or xdist's controller).

It opens the benchtrail session and the run, records one step per test from the test
reports (under xdist the workers' reports reach these hooks too, so every test is
recorded exactly once, here), and ends the run and the session when pytest finishes.

What the hub did not acknowledge by then makes pytest exit with status 3 (tests ran,
their record is not in the hub); an interrupted session (Ctrl-C, SIGTERM,
``pytest.exit()``) says after how many of its tests it stopped.
"""

from __future__ import annotations

import shlex

import pytest

from benchtrail.agents.pytest_plugin.delivery import Undelivered, undelivered_line
from benchtrail.agents.pytest_plugin.options import Settings
from benchtrail.agents.pytest_plugin.recorder import Recorder
from benchtrail.agents.pytest_plugin.state import RECORDER
from benchtrail.agents.pytest_plugin.steps import StepRecord, Verdict

NOT_RECORDED = pytest.ExitCode.INTERNAL_ERROR
"""pytest's exit status when the tests ran but the hub did not acknowledge their record (3)."""


class SessionPlugin:
    """Records the pytest session: one benchtrail session, one run, one step per test."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.recorder: Recorder | None = None
        self.verdict = Verdict()
        self.undelivered: list[Undelivered] = []
        self.interrupted = ""
        self._cause = ""
        self._tests_done = 0
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
            self._tests_done += 1

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A test file that cannot be collected makes the run an error."""
        self.verdict.add_collection_error(report)

    def add_worker_counts(
        self, measurements: int, failed: int, undelivered: Undelivered | None
    ) -> None:
        """Add what an xdist worker measured (and what the hub did not acknowledge of it)."""
        self.worker_measurements += measurements
        self.worker_failed_measurements += failed
        if undelivered is not None:
            self.undelivered.append(undelivered)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """Keep why the session was interrupted (the signal, or ``pytest.exit()``'s reason)."""
        self._cause = str(getattr(excinfo.value, "msg", None) or excinfo.value) or "Ctrl-C"

    def pytest_sessionfinish(
        self, session: pytest.Session, exitstatus: int | pytest.ExitCode
    ) -> None:
        """End unfinished steps, the run (with its verdict) and the session."""
        recorder = self.recorder
        if recorder is None:
            return
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        if interrupted:
            self.interrupted = (
                f"interrupted after {self._tests_done} of {session.testscollected} tests"
                f" ({self._cause or 'interrupted'})"
            )
        for step in list(self._steps.values()):
            step.interrupt(interrupted)
            self._end_step(step)
        self._steps.clear()
        recorder.run.measurement_count += self.worker_measurements
        recorder.run.failed_measurement_count += self.worker_failed_measurements
        recorder.end_run(*self.verdict.outcome(exitstatus, self.interrupted))
        self._close(session, recorder)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Show the run that was recorded, or say that it is not recorded (yet)."""
        recorder = self.recorder
        if recorder is None:
            return
        run = recorder.run
        terminalreporter.write_sep("-", "benchtrail")
        dut = f" of DUT {self.settings.dut_serial!r}" if self.settings.dut_serial else ""
        outcome = str(run.outcome)
        if self.interrupted:
            outcome += f", {self.interrupted}"
        if self.undelivered:
            outcome += ", but NOT recorded yet"
        terminalreporter.write_line(
            f"run {run.run_id}{dut} on station {recorder.station.station_id!r}: {outcome}; "
            f"{run.step_count} step(s), {run.measurement_count} measurement(s), "
            f"{run.failed_measurement_count} failed",
            red=bool(self.undelivered or self.interrupted),
        )
        if self.undelivered:
            terminalreporter.write_line(undelivered_line(self.undelivered), red=True)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """Stop the session if pytest stopped before finishing it."""
        if self.recorder is not None and self.recorder.station.state == "running":
            self.recorder.close()

    def _end_step(self, step: StepRecord) -> None:
        self._recorder().end_step(step)
        self.verdict.add(step)

    def _close(self, session: pytest.Session, recorder: Recorder) -> None:
        undelivered = recorder.close(self.interrupted)
        if undelivered is not None:
            self.undelivered.insert(0, undelivered)
        ran = session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
        if self.undelivered and ran:
            session.exitstatus = NOT_RECORDED

    def _recorder(self) -> Recorder:
        if self.recorder is None:
            raise RuntimeError("benchtrail: the session is not open yet")
        return self.recorder

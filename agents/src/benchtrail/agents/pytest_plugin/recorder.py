"""One process's benchtrail session during a pytest session, and the run it records into.

The process that runs the session (pytest without xdist, or the xdist controller)
opens the session *and* the run and records every test as a step. An xdist worker
opens a session of its own on the same station and records its measurements and
instrument calls into the controller's run; it never ends that run.
"""

from __future__ import annotations

import time
from contextlib import ExitStack

import pytest

from benchtrail.agents.errors import ConfigError, Unacknowledged
from benchtrail.agents.log_capture import capture_logs
from benchtrail.agents.pytest_plugin.delivery import Undelivered
from benchtrail.agents.pytest_plugin.options import Settings
from benchtrail.agents.pytest_plugin.signals import SigtermInterrupts
from benchtrail.agents.pytest_plugin.steps import StepRecord
from benchtrail.agents.rack import Rack
from benchtrail.agents.run import Run
from benchtrail.agents.station import Station, connect
from benchtrail.schemas import RunOutcome, StepEnded, StepStarted, new_id

LOGGER = "benchtrail.pytest"


class Recorder:
    """A station session and the run this process records into.

    Attributes:
        settings: the plugin's settings.
        station: this process's session.
        run: the run (a handle on the controller's run in an xdist worker).
    """

    def __init__(
        self, settings: Settings, station: Station, run: Run, sigterm: SigtermInterrupts
    ) -> None:
        self.settings = settings
        self.station = station
        self.run = run
        self._sigterm = sigterm
        self._opened_at = time.monotonic()
        self._logs = ExitStack()
        if settings.log_level is not None:  # the tests' log records, as log events of the run
            self._logs.enter_context(capture_logs(station, run.run_id, settings.log_level))

    @classmethod
    def for_session(cls, settings: Settings, pytest_args: str) -> Recorder:
        """Open the session and start the run of the DUT (pytest alone, or xdist controller)."""
        station, sigterm = open_station(settings)
        run = station.run(
            dut_serial=settings.dut_serial,
            part_number=settings.part_number,
            lot_number=settings.lot_number,
            test_phase=settings.test_phase,
            custom_metadata={"pytest_args": pytest_args},
        )
        return cls(settings, station, run, sigterm)

    @classmethod
    def for_worker(
        cls, settings: Settings, worker_id: str, run_id: str, controller: str
    ) -> Recorder:
        """Open an xdist worker's own session, recording into the controller's run."""
        station, sigterm = open_station(settings)
        station.log(
            f"pytest-xdist worker {worker_id} of session {controller}, recording into run {run_id}",
            logger=LOGGER,
        )
        return cls(settings, station, Run(station, run_id), sigterm)

    def start_step(self, nodeid: str) -> StepRecord:
        """Record ``step.started`` for a test."""
        step = StepRecord(nodeid=nodeid, step_id=new_id())
        started = self.station.emit(
            StepStarted, run_id=self.run.run_id, step_id=step.step_id, name=step.name
        )
        step.started_at_ns = started.occurred_at
        return step

    def end_step(self, step: StepRecord) -> None:
        """Record ``step.ended`` for a test with its outcome, duration and error text.

        It is stamped at its start plus its duration (setup + call + teardown), so that
        the step's end minus its start is its duration.
        """
        self.station.emit(
            StepEnded,
            at=step.started_at_ns + step.duration_ns if step.started_at_ns else None,
            run_id=self.run.run_id,
            step_id=step.step_id,
            name=step.name,
            outcome=step.final_outcome,
            duration_ns=step.duration_ns,
            error=step.error,
        )
        self.run.step_count += 1

    def rack(self) -> Rack:
        """A new set of instruments on this session, closed (and unlocked) by its owner."""
        return Rack(self.station, self.station.config, self.settings.mock)

    def end_run(self, outcome: RunOutcome, error: str) -> None:
        """Record ``run.ended`` (once)."""
        if self.run.active:
            self.run.end(outcome, error)

    def close(self, reason: str = "") -> Undelivered | None:
        """End the session and wait for the hub's acks; return what it did not acknowledge.

        A hub that never answered is waited for only until ``connect_timeout`` seconds
        after the session opened; then the session ends at once, its events kept in the
        outbox.
        """
        station = self.station
        self._logs.close()
        if station.state != "running":
            return None
        budget = self._opened_at + self.settings.connect_timeout - time.monotonic()
        answered = False
        try:
            answered = station.publisher.wait_connected(budget)
            station.stop(reason, timeout=station.flush_timeout if answered else 0.0)
        except Unacknowledged as e:  # the outbox is off: they are lost
            return self._undelivered(e.count, "", answered)
        finally:
            self._sigterm.restore()
        left = station.unacknowledged
        if left == 0:
            return None
        return self._undelivered(left, str(station.publisher.outbox_path or ""), answered)

    def _undelivered(self, events: int, outbox: str, answered: bool) -> Undelivered:
        return Undelivered(
            events=events,
            station_id=self.station.station_id,
            hub=self.station.hub,
            outbox=outbox,
            answered=answered,
            waited=self.station.flush_timeout if answered else self.settings.connect_timeout,
            last_error=self.station.publisher.stats.last_error,
        )


def open_station(settings: Settings) -> tuple[Station, SigtermInterrupts]:
    """Start a ``pytest`` session of the station, with SIGTERM interrupting pytest.

    Raises:
        pytest.UsageError: the station configuration cannot be used.
    """
    sigterm = SigtermInterrupts()
    sigterm.install()  # first: the station leaves a handled SIGTERM alone
    try:
        station = connect(
            settings.station,
            hub=settings.hub or None,
            operator=settings.operator,
            mock=settings.mock,
            session_type="pytest",
        )
    except ConfigError as e:
        sigterm.restore()
        raise pytest.UsageError(f"--bt-station {settings.station!r}: {e}") from e
    return station.start(), sigterm

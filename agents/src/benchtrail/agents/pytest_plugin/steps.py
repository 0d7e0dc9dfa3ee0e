"""A test's reports folded into one step, and the steps folded into the run's verdict.

A test is one step named by its node id. Its outcome is set by the first phase that
did not pass: a failing setup or teardown is ``error``, a failing test body ``failed``,
a skip ``skipped``; an expected failure (xfail) is ``skipped`` with ``xfail: <reason>``
as its error text, an unexpected pass (xpass) is ``passed`` (``failed`` when the xfail
is strict, as pytest reports it). Its duration is setup + call + teardown.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from benchtrail.schemas import RunOutcome, StepOutcome

MAX_STEP_NAME = 256
"""Longest step name the hub accepts; longer node ids are shortened (see :func:`step_name`)."""
MAX_ERROR_TEXT = 2000
LISTED_NODE_IDS = 5


def step_name(nodeid: str) -> str:
    """The step name of a test: its node id, shortened with a hash when it is too long."""
    if len(nodeid) <= MAX_STEP_NAME:
        return nodeid
    digest = hashlib.sha1(nodeid.encode(), usedforsecurity=False).hexdigest()[:12]
    return f"{nodeid[: MAX_STEP_NAME - len(digest) - 1]}…{digest}"


@dataclasses.dataclass
class StepRecord:
    """One test being recorded as a step, filled in phase by phase.

    Attributes:
        nodeid: the test's node id.
        step_id: the id of its ``step.started`` / ``step.ended`` events.
        outcome: the outcome so far (``None``: every phase so far passed).
        error: why it did not pass (the failure message, the skip reason).
        duration_ns: time spent in the phases reported so far.
        started_at_ns: the time of its ``step.started`` (0 before it is recorded).
    """

    nodeid: str
    step_id: str
    outcome: StepOutcome | None = None
    error: str = ""
    duration_ns: int = 0
    started_at_ns: int = 0

    @property
    def name(self) -> str:
        """The step name (see :func:`step_name`)."""
        return step_name(self.nodeid)

    @property
    def final_outcome(self) -> StepOutcome:
        """The step's outcome: ``passed`` unless a phase said otherwise."""
        return self.outcome or "passed"

    def add(self, report: pytest.TestReport) -> bool:
        """Fold in one phase's report; return whether the test is over."""
        self.duration_ns += round(report.duration * 1e9)
        if self.outcome is None:
            found = phase_outcome(report)
            if found is not None:
                self.outcome, self.error = found
        return report.when not in ("setup", "call")

    def interrupt(self, interrupted: bool) -> None:
        """End a test that never reported its teardown (Ctrl-C, a crashed worker)."""
        if self.outcome is None:
            self.outcome = "aborted" if interrupted else "error"
            self.error = "the test did not finish"


def phase_outcome(report: pytest.TestReport) -> tuple[StepOutcome, str] | None:
    """What one phase says about its test, or ``None`` when it passed."""
    xfail_reason = getattr(report, "wasxfail", None)
    if report.skipped:
        if isinstance(xfail_reason, str):
            return "skipped", f"xfail: {xfail_reason}" if xfail_reason else "xfail"
        return "skipped", _skip_reason(report)
    if report.failed:
        if report.when == "call":
            return "failed", _failure_message(report)
        where = f"{report.when}: " if report.when in ("setup", "teardown") else ""
        return "error", f"{where}{_failure_message(report)}"
    return None


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):
        return str(longrepr[2])
    return report.longreprtext.strip()[:MAX_ERROR_TEXT]


def _failure_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    if not isinstance(message, str):
        lines = report.longreprtext.strip().splitlines()
        message = lines[-1] if lines else "failed"
    return message[:MAX_ERROR_TEXT]


@dataclasses.dataclass
class Verdict:
    """The run's outcome, from its steps and collection errors.

    ``aborted`` when the session was interrupted (its verdict is incomplete), else
    ``failed`` when a test failed, else ``error`` when a test (or collecting a test
    file) errored, else ``passed``.
    """

    failed: list[str] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)

    def add(self, step: StepRecord) -> None:
        """Count a finished step."""
        if step.outcome == "failed":
            self.failed.append(step.nodeid)
        elif step.outcome == "error":
            self.errors.append(step.nodeid)

    def add_collection_error(self, report: pytest.CollectReport) -> None:
        """Count a test file (or class) that could not be collected."""
        if report.failed:
            self.errors.append(report.nodeid or "<collection>")

    def outcome(
        self, exitstatus: int | pytest.ExitCode, interrupted: str = ""
    ) -> tuple[RunOutcome, str]:
        """The run's outcome and its error text, at the end of the session.

        Args:
            exitstatus: pytest's exit status.
            interrupted: what stopped an interrupted session (``interrupted after 2 of
                5 tests (signal SIGTERM)``), first in the error text of its run.
        """
        groups = (("failed", self.failed), ("error", self.errors))
        listed = "; ".join(_listed(label, ids) for label, ids in groups if ids)
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            why = interrupted or "the test session was interrupted"
            return "aborted", f"{why}; {listed}" if listed else why
        if self.failed:
            return "failed", listed
        if self.errors:
            return "error", listed
        return "passed", ""


def _listed(label: str, nodeids: list[str]) -> str:
    shown = ", ".join(nodeids[:LISTED_NODE_IDS])
    more = f" and {len(nodeids) - LISTED_NODE_IDS} more" if len(nodeids) > LISTED_NODE_IDS else ""
    return f"{len(nodeids)} {label}: {shown}{more}"

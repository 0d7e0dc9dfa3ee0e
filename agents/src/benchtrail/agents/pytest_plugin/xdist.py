"""pytest-xdist: each worker records into the controller's run from a session of its own.

A session's events come from one process (its ``seq`` is gap-free), so workers cannot
share the controller's session. The controller opens the session and the run and
records every step from the reports the workers send back; before a worker starts it
puts the run id in the worker's ``workerinput`` (``pytest_configure_node``). The
worker opens its own ``pytest`` session on the same station, records measurements and
instrument calls into that run, and hands back its counts in ``workeroutput``, which
the controller reads when the worker is down (``pytest_testnodedown``), with what the
hub did not acknowledge of the worker's session.
"""

from __future__ import annotations

from typing import Protocol

import pytest

from benchtrail.agents.pytest_plugin.delivery import Undelivered
from benchtrail.agents.pytest_plugin.options import Settings
from benchtrail.agents.pytest_plugin.recorder import Recorder
from benchtrail.agents.pytest_plugin.session import SessionPlugin
from benchtrail.agents.pytest_plugin.state import RECORDER

KEY = "benchtrail"
"""The plugin's entry in ``workerinput`` and ``workeroutput``."""


class WorkerNode(Protocol):
    """What the controller's hooks use of xdist's ``WorkerController`` (xdist is untyped)."""

    workerinput: dict[str, object]


def worker_input(config: pytest.Config) -> dict[str, object] | None:
    """This process's ``workerinput`` when it is an xdist worker, else ``None``."""
    found = getattr(config, "workerinput", None)
    return found if isinstance(found, dict) else None


class ControllerHooks:
    """The controller's side: hand each worker the run, collect what it measured."""

    def __init__(self, session: SessionPlugin) -> None:
        self.session = session

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: WorkerNode) -> None:
        """Tell a worker, before it starts, which run to record into."""
        recorder = self.session.recorder
        if recorder is not None:
            node.workerinput[KEY] = {
                "run_id": recorder.run.run_id,
                "session_id": recorder.station.session_id,
            }

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: WorkerNode, error: object | None) -> None:
        """Add a finished worker's counts to the run (a crashed worker has none)."""
        output = getattr(node, "workeroutput", {}).get(KEY)
        if isinstance(output, dict):
            undelivered = output["undelivered"]
            self.session.add_worker_counts(
                int(output["measurements"]),
                int(output["failed"]),
                Undelivered.from_dict(undelivered) if isinstance(undelivered, dict) else None,
            )


class WorkerPlugin:
    """An xdist worker's side: its own session, recording into the controller's run."""

    def __init__(
        self, config: pytest.Config, settings: Settings, handed: dict[str, object]
    ) -> None:
        self.config = config
        self.settings = settings
        self.handed = handed
        self.recorder: Recorder | None = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Open this worker's session on the controller's run."""
        given = self.handed.get(KEY)
        if not isinstance(given, dict):
            raise pytest.UsageError(
                "benchtrail: this xdist worker was given no run by the controller; "
                "is the plugin disabled there (-p no:benchtrail)?"
            )
        worker_id = str(self.handed.get("workerid", "?"))
        self.recorder = Recorder.for_worker(
            self.settings, worker_id, str(given["run_id"]), str(given["session_id"])
        )
        self.config.stash[RECORDER] = self.recorder

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """End this worker's session; hand its counts back to the controller."""
        if self.recorder is None:
            return
        undelivered = self.recorder.close()
        output = getattr(self.config, "workeroutput", None)
        if isinstance(output, dict):
            output[KEY] = {
                "measurements": self.recorder.run.measurement_count,
                "failed": self.recorder.run.failed_measurement_count,
                "undelivered": None if undelivered is None else undelivered.to_dict(),
            }

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """Stop the session if pytest stopped before finishing it."""
        if self.recorder is not None and self.recorder.station.state == "running":
            self.recorder.close()

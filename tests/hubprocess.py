"""``benchtrail up`` as a child process, as a user runs it: for tests and benchmarks.

:func:`hub_process` starts ``python -m benchtrail.api up`` on free ports (``0``: the
hub picks them and its banner says which) with a data directory of the caller's,
waits for the banner, and yields a :class:`HubProcess` holding the API and NATS URLs
the banner announced. On the way out it stops the hub with a signal (SIGTERM unless
told otherwise) and waits a bounded time, then kills it (SIGKILL) if it is still
running. Everything the hub writes to stderr is kept (:attr:`HubProcess.output`),
read by a thread so a long run never blocks on a full pipe.

Benchmarks import it with the repository root on ``sys.path``::

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.hubprocess import hub_process
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

BANNER_END = "Ctrl-C stops everything"
"""The last line of ``benchtrail up``'s banner: the hub is serving."""
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 60.0
_API = re.compile(r"API\s+(https?://\S+?)/api/sessions")
_NATS = re.compile(r"Hub \(NATS\)\s+(\S+)")


class HubDidNotStart(AssertionError):
    """``benchtrail up`` exited, or did not show its banner in time; with what it wrote."""

    def __init__(self, reason: str, output: str) -> None:
        self.output = output
        super().__init__(f"benchtrail up {reason}:\n{output}")


class HubProcess:
    """A running ``benchtrail up``: its process, URLs, banner and stderr."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path | None) -> None:
        self.process = subprocess.Popen(
            command, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd
        )
        self.lines: list[str] = []
        """Every stderr line so far."""
        self._arrived: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name="hub-stderr", daemon=True)
        self._reader.start()
        self.banner = self._wait_for_banner()
        """stderr up to the end of the banner."""
        api, nats = _API.search(self.banner), _NATS.search(self.banner)
        if api is None or nats is None:
            self.kill()
            raise HubDidNotStart("did not announce its URLs", self.output)
        self.api_url: str = api.group(1)
        """Base URL of the HTTP API, e.g. ``http://127.0.0.1:41234``."""
        self.nats_url: str = nats.group(1)
        """URL stations publish to."""

    @property
    def pid(self) -> int:
        """The hub's process id (nats-server is its child)."""
        return self.process.pid

    @property
    def output(self) -> str:
        """Everything the hub wrote to stderr so far."""
        return "".join(self.lines)

    @property
    def after_banner(self) -> str:
        """What the hub wrote after its banner (e.g. how it stopped)."""
        return "".join(self.lines[self.banner.count("\n") :])

    @property
    def returncode(self) -> int | None:
        """The exit status, ``None`` while running (negative: killed by that signal)."""
        return self.process.poll()

    def stop(self, signum: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT_S) -> int:
        """Send ``signum``, wait up to ``timeout`` s (then SIGKILL); the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._reader.join(10)
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL, and wait for the process."""
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait()

    def _read(self) -> None:
        assert self.process.stderr is not None
        with self.process.stderr:
            for line in self.process.stderr:
                self.lines.append(line)
                self._arrived.put(line)
        self._arrived.put(None)

    def _wait_for_banner(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT_S
        seen: list[str] = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._arrived.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                self.process.wait()
                raise HubDidNotStart(f"exited with {self.process.returncode}", self.output)
            seen.append(line)
            if BANNER_END in line:
                return "".join(seen)
        self.kill()
        raise HubDidNotStart(f"showed no banner within {START_TIMEOUT_S:g} s", self.output)


def up_command(data_dir: Path, *extra: str, auth: bool = False) -> list[str]:
    """The ``benchtrail up`` command line on free ports (unless ``extra`` names them)."""
    command = [sys.executable, "-m", "benchtrail.api", "up", "--data-dir", str(data_dir)]
    for option in ("--http-port", "--nats-port"):
        if option not in extra:
            command += [option, "0"]
    return [*command, *(["--auth"] if auth else []), *extra]


@contextlib.contextmanager
def hub_process(
    data_dir: Path,
    *extra: str,
    auth: bool = False,
    env: Mapping[str, str | None] | None = None,
    cwd: Path | None = None,
    stop_signal: int = signal.SIGTERM,
    stop_timeout: float = STOP_TIMEOUT_S,
) -> Iterator[HubProcess]:
    """``benchtrail up`` running until the block ends; then stopped by ``stop_signal``.

    Args:
        data_dir: the hub's ``--data-dir``.
        extra: more options (``--demo``, ``--http-max-concurrency 2``, ports of one's own...).
        auth: pass ``--auth``.
        env: changes to the environment (``None`` removes a variable); ``COLUMNS`` is
            200 so the banner's URLs are never wrapped.
        cwd: the working directory (where a ``benchtrail.yaml`` is found).
        stop_signal: how the hub is stopped at the end (if the block did not stop it).
        stop_timeout: seconds it gets to stop before SIGKILL.

    Raises:
        HubDidNotStart: the hub exited or showed no banner; the message holds its stderr.
    """
    environment = {**os.environ, "COLUMNS": "200"}
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    hub = HubProcess(up_command(data_dir, *extra, auth=auth), environment, cwd)
    try:
        yield hub
    finally:
        hub.stop(stop_signal, stop_timeout)

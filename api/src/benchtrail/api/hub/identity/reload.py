"""Apply a changed authorization file to a running nats-server: a reload, not a restart."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

log = logging.getLogger(__name__)

PID_FILE = "nats-server.pid"
"""nats-server writes its pid here, in its store directory (``pid_file``)."""
JETSTREAM_DIR = "jetstream"
"""The hub's nats-server store: ``<data-dir>/jetstream``."""


def hub_pid_file(data_dir: str | Path) -> Path:
    """Where the nats-server of the hub on ``data_dir`` writes its pid."""
    return Path(data_dir) / JETSTREAM_DIR / PID_FILE


def reload_nats_server(pid_file: Path) -> bool:
    """Signal the nats-server whose pid is in ``pid_file`` to reload its configuration.

    nats-server re-reads the file (and its includes) on SIGHUP and closes the
    connections of users no longer listed. Returns whether a running server was
    signalled (``False``: no hub is running on that data directory).
    """
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return False
    if not _is_nats_server(pid):
        return False  # a stale pid file: the number may belong to another program now
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        return False
    log.info("nats-server %d reloads its authorization", pid)
    return True


def _is_nats_server(pid: int) -> bool:
    """Whether process ``pid`` runs nats-server (from /proc; elsewhere: whether it exists)."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.parent.parent.joinpath("self").exists():
        try:
            return b"nats-server" in cmdline.read_bytes()
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True

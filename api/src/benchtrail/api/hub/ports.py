"""Is a port free? Asked before the hub starts, so a busy port fails at once.

nats-server and uvicorn bind with ``SO_REUSEADDR``, as this check does: a port
whose last connections are only in ``TIME_WAIT`` (a hub just stopped) counts
as free, one with a listener does not.
"""

from __future__ import annotations

import errno
import ipaddress
import socket

from benchtrail.api.errors import PortInUse


def ensure_free(service: str, host: str, port: int) -> None:
    """Raise :class:`PortInUse` if ``host:port`` cannot be listened on now (0 is always free).

    Raises:
        PortInUse: another process listens there (``address already in use``).
    """
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                return  # not a clash (a bad address): the server's own start says what it is
            raise PortInUse(service, host, port, e.strerror or str(e)) from e


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (``127.0.0.1``, ``::1``, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything

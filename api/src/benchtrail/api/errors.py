"""Errors raised by :mod:`benchtrail.api`."""

from __future__ import annotations

from benchtrail.schemas import BenchtrailError


class ApiError(BenchtrailError):
    """Base class of API, client and CLI errors."""


class HubStartError(ApiError, RuntimeError):
    """The embedded nats-server did not start."""

    def __init__(self, reason: str, log_tail: str = "") -> None:
        self.reason = reason
        self.log_tail = log_tail
        detail = f"\n--- nats-server said ---\n{log_tail}" if log_tail else ""
        super().__init__(f"nats-server did not start: {reason}{detail}")


class PortInUse(ApiError, OSError):
    """A port the embedded hub must listen on is taken by another process.

    Attributes:
        service: what wanted the port (``"NATS"`` or ``"HTTP"``).
        host: the listen address.
        port: the port.
        reason: the operating system's answer (``address already in use``).
    """

    def __init__(self, service: str, host: str, port: int, reason: str) -> None:
        self.service = service
        self.host = host
        self.port = port
        self.reason = reason
        super().__init__(f"the {service} port {host}:{port} is taken: {reason}")


class BadHostName(ApiError, ValueError):
    """A name given for the hub's certificate is neither a DNS name nor an IP address.

    Attributes:
        host: the value as given.
        reason: what is wrong with it.
    """

    def __init__(self, host: str, reason: str) -> None:
        self.host = host
        self.reason = reason
        super().__init__(f"cannot put {host!r} in the hub's certificate: {reason}")


class LabCertificateError(ApiError, RuntimeError):
    """The lab CA or the hub's certificate in a directory cannot be used or made.

    Attributes:
        path: the file at fault.
        reason: what is wrong with it and what to do.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"lab certificates: {path!r}: {reason}")


class NotFound(ApiError, LookupError):
    """A session, run or other entity does not exist."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} not found")


class BadParameter(ApiError, ValueError):
    """A query parameter has a value the API cannot use."""

    def __init__(self, name: str, value: object, expected: str) -> None:
        self.name = name
        self.value = value
        self.expected = expected
        super().__init__(f"parameter {name!r}: expected {expected}, got {value!r}")


class ArgumentTypeError(ApiError, TypeError):
    """A client method was given an argument of the wrong type (``session_id=...``)."""

    def __init__(self, name: str, value: object, expected: str) -> None:
        self.name = name
        self.value = value
        self.expected = expected
        got = f"{type(value).__name__} {value!r}"
        super().__init__(f"argument {name!r}: expected {expected}, got {got}")


class ApiUnavailable(ApiError, ConnectionError):
    """The benchtrail HTTP API cannot be reached, or failed to answer (HTTP 5xx)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"cannot reach the benchtrail API at {url!r}: {reason}")


class UnexpectedResponse(ApiError, RuntimeError):
    """The API answered with an HTTP error the client has no better exception for."""

    def __init__(self, url: str, status_code: int, detail: str) -> None:
        self.url = url
        self.status_code = status_code
        self.detail = detail
        super().__init__(f"{url!r} answered HTTP {status_code}: {detail}")


class HubUnavailable(ApiError, ConnectionError):
    """The API runs without a hub connection, so it cannot do what needs one (HTTP 503)."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"{what} are not available: this API runs without a hub connection")


class LocksUnavailable(HubUnavailable):
    """The API was started without a hub connection, so it cannot see locks."""

    def __init__(self) -> None:
        super().__init__("locks")

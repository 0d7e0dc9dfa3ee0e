"""Errors raised by :mod:`benchtrail.api`."""

from __future__ import annotations

from benchtrail.api.quoting import quote
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
        super().__init__(f"{kind} {quote(key)} not found")


class BadParameter(ApiError, ValueError):
    """A query parameter has a value the API cannot use."""

    def __init__(self, name: str, value: object, expected: str) -> None:
        self.name = name
        self.value = value
        self.expected = expected
        super().__init__(f"parameter {quote(name)}: expected {expected}, got {quote(value)}")


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


class LimitReached(ApiError, ConnectionRefusedError):
    """A request was refused because a bound of the hub is reached; retry later.

    Attributes:
        limit: the setting that refused it.
        value: its value.
        status_code: 503 when the hub as a whole is at its bound, 429 for one client's.
        retry_after_s: seconds the client should wait before it retries.
    """

    def __init__(
        self, message: str, limit: str, value: int, status_code: int, retry_after_s: int
    ) -> None:
        self.limit = limit
        self.value = value
        self.status_code = status_code
        self.retry_after_s = retry_after_s
        super().__init__(message)


class FeedLimitReached(LimitReached):
    """A live feed was refused: the hub (503) or this client address (429) has its most feeds."""

    def __init__(self, limit: str, value: int, status_code: int, whose: str) -> None:
        super().__init__(
            f"{whose} already has {value} live feed(s) open, the most allowed ({limit}={value});"
            " close one or retry later",
            limit,
            value,
            status_code,
            retry_after_s=5,
        )


class ReadsBusy(LimitReached):
    """A read was refused (503): the hub's read turns and its waiting line are taken."""

    def __init__(self, limit: str, value: int, why: str) -> None:
        super().__init__(
            f"the hub is busy with other reads: {why} ({limit}={value}); retry in a second",
            limit,
            value,
            503,
            retry_after_s=1,
        )


class ClientStalled(ApiError, ConnectionError):
    """An event stream's client took no message for too long: its response ends."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        super().__init__(f"the client took no message of its event stream for {timeout_s:g} s")


class LockBucketUnavailable(HubUnavailable):
    """The hub's lock bucket cannot be read now (deleted: the hub recreates it; HTTP 503)."""

    def __init__(self, bucket: str, reason: str) -> None:
        self.what = "locks"
        self.bucket = bucket
        self.reason = reason
        ApiError.__init__(
            self,
            f"the lock bucket {bucket!r} cannot be read now ({reason}); the hub recreates a"
            " missing bucket within seconds: retry",
        )


class UnknownToken(ApiError, LookupError):
    """No token has this id, and no active token has this name."""

    def __init__(self, id_or_name: str) -> None:
        self.id_or_name = id_or_name
        super().__init__(f"no token has the id or name {id_or_name!r}")


class TokenNameTaken(ApiError, ValueError):
    """An active token already has this name (revoke it first, or choose another)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"an active token is already named {name!r}: revoke it or choose another")


class NotSignedIn(ApiError, PermissionError):
    """The API needs a token and the request had none, or one it does not know (HTTP 401)."""

    def __init__(self, url: str, detail: str) -> None:
        self.url = url
        self.detail = detail
        super().__init__(
            f"{url!r} needs a token: {detail}. Give one with --token or BENCHTRAIL_TOKEN "
            "(on the hub's machine: benchtrail token create --role viewer --name NAME)"
        )


class RoleRequired(ApiError, PermissionError):
    """The request's token has a role too weak for what it asked (HTTP 403)."""

    def __init__(self, url: str, role: str | None, detail: str) -> None:
        self.url = url
        self.role = role
        self.detail = detail
        need = f"; ask an admin for a token with the role {role!r}" if role else ""
        super().__init__(f"{url!r} refused: {detail}{need}")


class AuthOff(ApiError, RuntimeError):
    """Tokens were asked of an API that runs open (no token store: started without auth)."""

    def __init__(self) -> None:
        super().__init__(
            "this API runs open, without tokens: start the hub with --auth to use them"
        )


class StationExists(ApiError, FileExistsError):
    """A station is already registered on the hub (revoke it first, or replace its key)."""

    def __init__(self, station_id: str) -> None:
        self.station_id = station_id
        super().__init__(
            f"station {station_id!r} is already registered; 'benchtrail station revoke "
            f"{station_id}' first to give it new credentials"
        )


class UnknownStation(ApiError, LookupError):
    """No active station of that id is registered on the hub."""

    def __init__(self, station_id: str) -> None:
        self.station_id = station_id
        super().__init__(
            f"no active station {station_id!r} is registered (see 'benchtrail station list')"
        )


class InvalidStationId(ApiError, ValueError):
    """A station id that cannot be registered (bad characters, or a service identity's name)."""

    def __init__(self, station_id: str, problem: str) -> None:
        self.station_id = station_id
        self.problem = problem
        super().__init__(f"station id {station_id!r}: {problem}")


class AttachmentMissing(NotFound):
    """The hub's object store does not hold an attachment's bytes (HTTP 404)."""

    def __init__(self, sha256: str) -> None:
        super().__init__("attachment object", sha256)


class FileTooLarge(ApiError, ValueError):
    """A file's bytes are larger than the hub stores for one file (HTTP 413)."""

    def __init__(self, size: int, max_bytes: int) -> None:
        self.size = size
        self.max_bytes = max_bytes
        super().__init__(
            f"the file's content is larger than {max_bytes} bytes (at least {size} bytes"
            f" arrived); the hub stores at most max_file_bytes={max_bytes} bytes per file"
        )

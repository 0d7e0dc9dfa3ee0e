"""Errors raised by :mod:`benchtrail.schemas`."""

from __future__ import annotations


class BenchtrailError(Exception):
    """Base class of every error benchtrail raises on purpose."""


class FrameDecodeError(BenchtrailError, ValueError):
    """A message on the event stream is not a valid frame of events.

    Attributes:
        reason: what was wrong with the bytes, as the decoder said it.
        size: the length of the message in bytes.
    """

    def __init__(self, reason: str, size: int) -> None:
        self.reason = reason
        self.size = size
        super().__init__(f"not a valid event frame ({size} bytes): {reason}")


class InvalidSubject(BenchtrailError, ValueError):
    """A station or session id cannot be used as a NATS subject token."""

    def __init__(self, what: str, value: str) -> None:
        self.what = what
        self.value = value
        super().__init__(
            f"{what} {value!r} cannot be a subject token: use letters, digits, '-' and '_' only"
        )


class NotAnEventSubject(BenchtrailError, ValueError):
    """A subject (or subject filter) is not one of the event stream's.

    Attributes:
        subject: the subject as given.
        expected: the shape it should have had, e.g. ``"bt.evt.<station_id>.<session_id>"``.
    """

    def __init__(self, subject: str, expected: str) -> None:
        self.subject = subject
        self.expected = expected
        super().__init__(f"{subject!r} is not an event subject: expected {expected}")


class InvalidExperimentFile(BenchtrailError, ValueError):
    """A path cannot be used to save or load an experiment's table.

    Attributes:
        path: the path given.
        expected: what would have been accepted.
    """

    def __init__(self, path: str, expected: str) -> None:
        self.path = path
        self.expected = expected
        super().__init__(f"path: expected {expected}, got {path!r}")

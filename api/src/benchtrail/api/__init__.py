"""benchtrail API: HTTP read API, its Python client and the ``benchtrail`` CLI.

``create_app`` is imported on first use, so the client and the CLI start
without loading the web framework and the warehouse driver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from benchtrail.api.client import EventStore
from benchtrail.api.errors import (
    ApiError,
    ApiUnavailable,
    BadParameter,
    NotFound,
    UnexpectedResponse,
)
from benchtrail.api.models import (
    ErrorBody,
    Health,
    MeasurementPoint,
    RunDetail,
    RunPage,
    RunSummary,
    SessionCounts,
    SessionDetail,
    SessionPage,
    SessionSummary,
    StationSummary,
    StepSummary,
    WarehouseHealth,
)
from benchtrail.api.records import Records

if TYPE_CHECKING:
    from benchtrail.api.app import create_app

__all__ = [
    "ApiError",
    "ApiUnavailable",
    "BadParameter",
    "ErrorBody",
    "EventStore",
    "Health",
    "MeasurementPoint",
    "NotFound",
    "Records",
    "RunDetail",
    "RunPage",
    "RunSummary",
    "SessionCounts",
    "SessionDetail",
    "SessionPage",
    "SessionSummary",
    "StationSummary",
    "StepSummary",
    "UnexpectedResponse",
    "WarehouseHealth",
    "create_app",
]


def __getattr__(name: str) -> object:
    if name == "create_app":
        from benchtrail.api.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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
    DutHistory,
    DutRun,
    ErrorBody,
    FailedMeasurement,
    Health,
    MeasurementPage,
    MeasurementPoint,
    MeasurementRow,
    RunDetail,
    RunPage,
    RunSummary,
    Series,
    SeriesBucket,
    SessionCounts,
    SessionDetail,
    SessionPage,
    SessionSummary,
    StationSummary,
    StepSummary,
    WarehouseHealth,
)
from benchtrail.api.records import Records
from benchtrail.api.windows_client import Session, Window
from benchtrail.api.windows_http import WindowClient
from benchtrail.api.windows_models import (
    FileContribution,
    FileView,
    TopicSpec,
    WindowDevice,
    WindowFile,
    WindowTopic,
    WindowView,
)

if TYPE_CHECKING:
    from benchtrail.api.app import create_app

__all__ = [
    "ApiError",
    "ApiUnavailable",
    "BadParameter",
    "DutHistory",
    "DutRun",
    "ErrorBody",
    "EventStore",
    "FailedMeasurement",
    "FileContribution",
    "FileView",
    "Health",
    "MeasurementPage",
    "MeasurementPoint",
    "MeasurementRow",
    "NotFound",
    "Records",
    "RunDetail",
    "RunPage",
    "RunSummary",
    "Series",
    "SeriesBucket",
    "Session",
    "SessionCounts",
    "SessionDetail",
    "SessionPage",
    "SessionSummary",
    "StationSummary",
    "StepSummary",
    "TopicSpec",
    "UnexpectedResponse",
    "WarehouseHealth",
    "Window",
    "WindowClient",
    "WindowDevice",
    "WindowFile",
    "WindowTopic",
    "WindowView",
    "create_app",
]


def __getattr__(name: str) -> object:
    if name == "create_app":
        from benchtrail.api.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

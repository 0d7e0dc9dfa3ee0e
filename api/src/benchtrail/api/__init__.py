"""benchtrail API: the light Python client of the HTTP API, its response bodies and errors.

Importing this package loads only the client (:mod:`benchtrail.api.client`), the
response bodies (:mod:`benchtrail.api.models`) and :mod:`benchtrail.api.errors`:
never the web framework, the hub or the warehouse driver. The app itself is
:func:`benchtrail.api.http.create_app`; the command line is :mod:`benchtrail.api.cli`.
"""

from __future__ import annotations

from benchtrail.api.client.event_store import EventStore
from benchtrail.api.client.tokens import TokenClient
from benchtrail.api.client.window import Window
from benchtrail.api.client.window_client import WindowClient
from benchtrail.api.errors import (
    ApiError,
    ApiUnavailable,
    ArgumentTypeError,
    BadParameter,
    NotFound,
    NotSignedIn,
    RoleRequired,
    UnexpectedResponse,
)
from benchtrail.api.models.access import Identity, IssuedToken, Role, TokenView
from benchtrail.api.models.attachments import AttachmentView
from benchtrail.api.models.entities import (
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
from benchtrail.api.models.records import Records
from benchtrail.api.models.windows import (
    FileContribution,
    FileView,
    TopicSpec,
    WindowDevice,
    WindowFile,
    WindowTopic,
    WindowView,
)

__all__ = [
    "ApiError",
    "ApiUnavailable",
    "ArgumentTypeError",
    "AttachmentView",
    "BadParameter",
    "DutHistory",
    "DutRun",
    "ErrorBody",
    "EventStore",
    "FailedMeasurement",
    "FileContribution",
    "FileView",
    "Health",
    "Identity",
    "IssuedToken",
    "MeasurementPage",
    "MeasurementPoint",
    "MeasurementRow",
    "NotFound",
    "NotSignedIn",
    "Records",
    "Role",
    "RoleRequired",
    "RunDetail",
    "RunPage",
    "RunSummary",
    "Series",
    "SeriesBucket",
    "SessionCounts",
    "SessionDetail",
    "SessionPage",
    "SessionSummary",
    "StationSummary",
    "StepSummary",
    "TokenClient",
    "TokenView",
    "TopicSpec",
    "UnexpectedResponse",
    "WarehouseHealth",
    "Window",
    "WindowClient",
    "WindowDevice",
    "WindowFile",
    "WindowTopic",
    "WindowView",
]

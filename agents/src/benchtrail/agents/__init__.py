"""benchtrail station agent: sessions, runs and measurements published to the hub.

Names are imported on first use (PEP 562): ``import benchtrail.agents`` alone loads
nothing heavy, so the pytest plugin costs nothing in a run that does not enable it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchtrail.agents.aio import (
        AsyncStation,
        aconnect,
    )
    from benchtrail.agents.config import (
        DEFAULT_HUB,
        OutboxConfig,
    )
    from benchtrail.agents.errors import (
        AcquireResultError,
        AcquireSignatureError,
        AgentError,
        AttachmentTooLarge,
        ConfigError,
        CredentialsRefused,
        InstrumentError,
        InvalidAttachment,
        InvalidMeasurement,
        InvalidMetadata,
        InvalidTime,
        LeaseLost,
        LockNotReleased,
        OutboxFull,
        OutboxUnavailable,
        PermissionDenied,
        ResourceBusy,
        RunNotActive,
        SafetyLimitExceeded,
        SessionNotActive,
        TaskFailed,
        Unacknowledged,
    )
    from benchtrail.agents.publishing import (
        Publisher,
        PublisherSettings,
        PublisherStats,
    )
    from benchtrail.agents.run import (
        Run,
    )
    from benchtrail.agents.station import (
        Station,
        connect,
    )
    from benchtrail.agents.times import (
        When,
    )
    from benchtrail.agents.workflows import (
        Bench,
        Experiment,
        MeasurementSession,
    )
    from benchtrail.schemas import ExperimentInfo

_MODULES: dict[str, str] = {
    "DEFAULT_HUB": "benchtrail.agents.config",
    "AcquireResultError": "benchtrail.agents.errors",
    "AcquireSignatureError": "benchtrail.agents.errors",
    "AgentError": "benchtrail.agents.errors",
    "AsyncStation": "benchtrail.agents.aio",
    "AttachmentTooLarge": "benchtrail.agents.errors",
    "Bench": "benchtrail.agents.workflows",
    "ConfigError": "benchtrail.agents.errors",
    "CredentialsRefused": "benchtrail.agents.errors",
    "Experiment": "benchtrail.agents.workflows",
    "ExperimentInfo": "benchtrail.schemas",
    "InstrumentError": "benchtrail.agents.errors",
    "InvalidAttachment": "benchtrail.agents.errors",
    "InvalidMeasurement": "benchtrail.agents.errors",
    "InvalidMetadata": "benchtrail.agents.errors",
    "InvalidTime": "benchtrail.agents.errors",
    "When": "benchtrail.agents.times",
    "LeaseLost": "benchtrail.agents.errors",
    "LockNotReleased": "benchtrail.agents.errors",
    "MeasurementSession": "benchtrail.agents.workflows",
    "OutboxConfig": "benchtrail.agents.config",
    "OutboxFull": "benchtrail.agents.errors",
    "OutboxUnavailable": "benchtrail.agents.errors",
    "PermissionDenied": "benchtrail.agents.errors",
    "Publisher": "benchtrail.agents.publishing",
    "PublisherSettings": "benchtrail.agents.publishing",
    "PublisherStats": "benchtrail.agents.publishing",
    "ResourceBusy": "benchtrail.agents.errors",
    "Run": "benchtrail.agents.run",
    "RunNotActive": "benchtrail.agents.errors",
    "SafetyLimitExceeded": "benchtrail.agents.errors",
    "SessionNotActive": "benchtrail.agents.errors",
    "Station": "benchtrail.agents.station",
    "TaskFailed": "benchtrail.agents.errors",
    "Unacknowledged": "benchtrail.agents.errors",
    "aconnect": "benchtrail.agents.aio",
    "connect": "benchtrail.agents.station",
}
"""Public name → the module defining it."""


def __getattr__(name: str) -> object:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_HUB",
    "AcquireResultError",
    "AcquireSignatureError",
    "AgentError",
    "AsyncStation",
    "AttachmentTooLarge",
    "Bench",
    "ConfigError",
    "CredentialsRefused",
    "Experiment",
    "ExperimentInfo",
    "InstrumentError",
    "InvalidAttachment",
    "InvalidMeasurement",
    "InvalidMetadata",
    "InvalidTime",
    "LeaseLost",
    "LockNotReleased",
    "MeasurementSession",
    "OutboxConfig",
    "OutboxFull",
    "OutboxUnavailable",
    "PermissionDenied",
    "Publisher",
    "PublisherSettings",
    "PublisherStats",
    "ResourceBusy",
    "Run",
    "RunNotActive",
    "SafetyLimitExceeded",
    "SessionNotActive",
    "Station",
    "TaskFailed",
    "Unacknowledged",
    "When",
    "aconnect",
    "connect",
]

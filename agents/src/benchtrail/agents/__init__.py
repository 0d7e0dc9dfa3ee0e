"""benchtrail station agent: sessions, runs and measurements published to the hub."""

from benchtrail.agents.aio import AsyncStation, aconnect
from benchtrail.agents.config import DEFAULT_HUB
from benchtrail.agents.errors import (
    AcquireResultError,
    AcquireSignatureError,
    AgentError,
    ConfigError,
    InstrumentError,
    InvalidMeasurement,
    InvalidMetadata,
    LeaseLost,
    ResourceBusy,
    RunNotActive,
    SafetyLimitExceeded,
    SessionNotActive,
    TaskFailed,
    Unacknowledged,
)
from benchtrail.agents.publisher import Publisher, PublisherSettings, PublisherStats
from benchtrail.agents.run import Run
from benchtrail.agents.station import Station, connect
from benchtrail.agents.workflows import Bench, Experiment, ExperimentInfo, MeasurementSession

__all__ = [
    "DEFAULT_HUB",
    "AcquireResultError",
    "AcquireSignatureError",
    "AgentError",
    "AsyncStation",
    "Bench",
    "ConfigError",
    "Experiment",
    "ExperimentInfo",
    "InstrumentError",
    "InvalidMeasurement",
    "InvalidMetadata",
    "LeaseLost",
    "MeasurementSession",
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
    "aconnect",
    "connect",
]

"""benchtrail station agent: sessions, runs and measurements published to the hub."""

from benchtrail.agents.aio import AsyncStation, aconnect
from benchtrail.agents.config import DEFAULT_HUB
from benchtrail.agents.errors import (
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
    Unacknowledged,
)
from benchtrail.agents.publisher import Publisher, PublisherSettings, PublisherStats
from benchtrail.agents.run import Run
from benchtrail.agents.station import Station, connect

__all__ = [
    "DEFAULT_HUB",
    "AgentError",
    "AsyncStation",
    "ConfigError",
    "InstrumentError",
    "InvalidMeasurement",
    "InvalidMetadata",
    "LeaseLost",
    "Publisher",
    "PublisherSettings",
    "PublisherStats",
    "ResourceBusy",
    "Run",
    "RunNotActive",
    "SafetyLimitExceeded",
    "SessionNotActive",
    "Station",
    "Unacknowledged",
    "aconnect",
    "connect",
]

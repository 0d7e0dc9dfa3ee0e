"""benchtrail station agent: sessions, runs and measurements published to the hub."""

from benchtrail.agents.aio import AsyncStation, aconnect
from benchtrail.agents.errors import (
    AgentError,
    InvalidMeasurement,
    InvalidMetadata,
    RunNotActive,
    SessionNotActive,
    Unacknowledged,
)
from benchtrail.agents.publisher import Publisher, PublisherSettings, PublisherStats
from benchtrail.agents.run import Run
from benchtrail.agents.station import DEFAULT_HUB, Station, connect

__all__ = [
    "DEFAULT_HUB",
    "AgentError",
    "AsyncStation",
    "InvalidMeasurement",
    "InvalidMetadata",
    "Publisher",
    "PublisherSettings",
    "PublisherStats",
    "Run",
    "RunNotActive",
    "SessionNotActive",
    "Station",
    "Unacknowledged",
    "aconnect",
    "connect",
]

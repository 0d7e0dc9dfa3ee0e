"""benchtrail projector: JetStream events into ClickHouse."""

from benchtrail.projector.committer import BatchWriter
from benchtrail.projector.config import ProjectorSettings, StreamSettings
from benchtrail.projector.consumer import Projector
from benchtrail.projector.errors import (
    FrameRejected,
    HubUnavailable,
    IngestTimeout,
    ProjectorError,
    ProjectorStateError,
    WarehouseUnavailable,
)
from benchtrail.projector.progress import ProjectorStats
from benchtrail.projector.rows import RowBatch
from benchtrail.projector.streams import ensure_streams
from benchtrail.projector.table_model import Column, Table
from benchtrail.projector.tables import DATABASE, TABLES
from benchtrail.projector.warehouse import Warehouse, WritersFirst, open_warehouse

__all__ = [
    "DATABASE",
    "TABLES",
    "BatchWriter",
    "Column",
    "FrameRejected",
    "HubUnavailable",
    "IngestTimeout",
    "Projector",
    "ProjectorError",
    "ProjectorSettings",
    "ProjectorStateError",
    "ProjectorStats",
    "RowBatch",
    "StreamSettings",
    "Table",
    "Warehouse",
    "WarehouseUnavailable",
    "WritersFirst",
    "ensure_streams",
    "open_warehouse",
]

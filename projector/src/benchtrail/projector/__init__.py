"""benchtrail projector: JetStream events into ClickHouse."""

from benchtrail.projector.ddl import DATABASE, TABLES
from benchtrail.projector.errors import HubUnavailable, ProjectorError, WarehouseUnavailable
from benchtrail.projector.rows import RowBatch
from benchtrail.projector.warehouse import Warehouse, open_warehouse

__all__ = [
    "DATABASE",
    "TABLES",
    "HubUnavailable",
    "ProjectorError",
    "RowBatch",
    "Warehouse",
    "WarehouseUnavailable",
    "open_warehouse",
]

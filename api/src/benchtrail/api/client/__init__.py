"""The Python client of the benchtrail HTTP API: what an analyst imports.

Imports only ``benchtrail.schemas``, the response bodies (:mod:`benchtrail.api.models`),
:mod:`benchtrail.api.errors` and HTTP/Arrow/polars libraries: never the HTTP app,
the hub, the warehouse queries or their drivers.
"""

from benchtrail.api.client.event_store import EventStore
from benchtrail.api.client.window import Window
from benchtrail.api.client.window_client import WindowClient
from benchtrail.api.models.records import Records

__all__ = ["EventStore", "Records", "Window", "WindowClient"]

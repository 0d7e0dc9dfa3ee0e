"""Response bodies of the HTTP API (msgspec Structs), shared by the app and its client.

Also the list filters (:mod:`benchtrail.api.models.filters`) and the list container
:class:`~benchtrail.api.models.records.Records`. Imports only ``benchtrail.schemas``,
:mod:`benchtrail.api.errors` and msgspec (polars only when a method asks for a
DataFrame): never the client, the HTTP app, the hub or the warehouse.
"""

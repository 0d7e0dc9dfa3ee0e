"""Response bodies of the HTTP API (msgspec Structs), shared by the app and its client.

Imports only ``benchtrail.schemas``, :mod:`benchtrail.api.errors` and the client's
:class:`~benchtrail.api.client.records.Records`: never the HTTP app, the hub or
the warehouse.
"""

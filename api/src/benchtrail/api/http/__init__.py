"""The HTTP API: the Litestar app, its routes, parameter parsing, response encodings,
the dashboard and the MCP mount. Needs the ``[hub]`` dependencies (Litestar, the warehouse).
"""

from benchtrail.api.http.app import create_app

__all__ = ["create_app"]

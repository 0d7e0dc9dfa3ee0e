"""Route handlers: window (filled in by its own module; registered by :func:`create_app`)."""

from __future__ import annotations

from litestar.handlers import BaseRouteHandler

WINDOW_ROUTES: list[BaseRouteHandler] = []
"""Every route handler of this group."""

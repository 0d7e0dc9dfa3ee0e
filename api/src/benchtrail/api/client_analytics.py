"""Client methods for ``/api/analytics``: yield, Pareto, capability, control charts."""

from __future__ import annotations

from benchtrail.api.client_base import ClientBase


class AnalyticsMethods(ClientBase):
    """The analytics questions of :class:`benchtrail.api.EventStore`."""

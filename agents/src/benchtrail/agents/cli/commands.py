"""The station's subcommands, as the ``benchtrail.commands`` entry points name them.

Each is imported only when it runs (:class:`benchtrail.cli.LazyCommand`).
"""

from __future__ import annotations

from benchtrail.cli import LazyCommand

config = LazyCommand(
    "benchtrail.agents.cli.config:config",
    "Show or check the station configuration files.",
)
outbox = LazyCommand(
    "benchtrail.agents.cli.outbox:outbox",
    "Show or deliver what station outboxes hold for the hub (status, flush).",
)

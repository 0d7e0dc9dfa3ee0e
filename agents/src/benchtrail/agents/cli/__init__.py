"""The station's ``benchtrail`` subcommands: ``outbox`` and ``config``.

They are registered as entry points (see :mod:`benchtrail.agents.cli.commands`),
so installing ``benchtrail-agents`` alone gives a station PC the ``benchtrail``
command with them. This package imports nothing itself: ``benchtrail --help``
stays fast.
"""

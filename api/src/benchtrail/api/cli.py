"""The ``benchtrail`` command line: the click group ``main`` that every command joins.

Commands live in their own modules and are added here, e.g. the read
commands of :mod:`benchtrail.api.cli_read`. To add one::

    from benchtrail.api.cli_up import up
    main.add_command(up)
"""

from __future__ import annotations

import click

from benchtrail.api.cli_read import READ_COMMANDS
from benchtrail.api.cli_up import up


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="benchtrail-api", prog_name="benchtrail")
def main() -> None:
    """benchtrail: record test-station events, and read them back from the hub."""


for _command in READ_COMMANDS:
    main.add_command(_command)
main.add_command(up)

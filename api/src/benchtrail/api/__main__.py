"""``python -m benchtrail.api`` is the ``benchtrail`` command."""

from benchtrail.api.cli.main import main

main()

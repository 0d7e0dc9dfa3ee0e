"""``python -m benchtrail.api`` is the ``benchtrail`` command."""

from benchtrail.api.cli import main

main()

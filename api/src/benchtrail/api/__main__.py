"""``python -m benchtrail.api`` is the ``benchtrail`` command."""

from benchtrail.cli import main

main()

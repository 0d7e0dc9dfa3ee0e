"""``python -m benchtrail.cli`` is the ``benchtrail`` command."""

from benchtrail.cli import main

main()

"""Adapter tests: openhtf is imported here first, with pytest's own arguments hidden.

openhtf parses ``sys.argv`` with argparse when its configuration module loads; an
abbreviated pytest flag such as ``--co`` is then ambiguous with openhtf's
``--config-file`` and the import exits. Loading it here, with only the program name
in ``sys.argv``, keeps every pytest command line working.
"""

from __future__ import annotations

import sys

_argv = sys.argv
sys.argv = _argv[:1]
try:
    import openhtf.util.configuration  # noqa: F401  # loaded once, with a clean argv
finally:
    sys.argv = _argv

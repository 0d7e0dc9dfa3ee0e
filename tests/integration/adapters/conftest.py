"""Adapter tests: openhtf is imported here first, with pytest's own arguments hidden.

openhtf parses ``sys.argv`` with argparse when its configuration module loads; an
abbreviated pytest flag such as ``--co`` is then ambiguous with openhtf's
``--config-file`` and the import exits. Loading it here, with only the program name
in ``sys.argv``, keeps every pytest command line working. The Bluesky tests share
the ``RE`` fixture.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator

import pytest

_argv = sys.argv
sys.argv = _argv[:1]
try:
    import openhtf.util.configuration  # noqa: F401  # loaded once, with a clean argv
finally:
    sys.argv = _argv

from bluesky import RunEngine  # noqa: E402  # after openhtf's clean import


@pytest.fixture
def RE() -> Iterator[RunEngine]:
    """A RunEngine on a loop of its own, stopped and closed afterwards (as bluesky's tests do)."""
    loop = asyncio.new_event_loop()
    engine = RunEngine({}, loop=loop)
    try:
        yield engine
    finally:
        loop.call_soon_threadsafe(loop.stop)
        engine._th.join()  # the RunEngine's loop thread; bluesky has no public close()
        loop.close()

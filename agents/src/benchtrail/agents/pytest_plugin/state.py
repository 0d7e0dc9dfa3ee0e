"""Where an enabled plugin keeps this process's recorder: ``config.stash[RECORDER]``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from benchtrail.agents.pytest_plugin.recorder import Recorder

RECORDER: pytest.StashKey[Recorder] = pytest.StashKey()
"""The process's :class:`Recorder`, set when its session opens; absent when inactive."""

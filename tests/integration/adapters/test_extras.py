"""The adapters' frameworks are optional extras: the agent never imports them."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("extra", ["openhtf", "bluesky"])
def test_a_missing_extra_names_the_install_command(extra: str):
    program = (
        "import sys\n"
        f"sys.modules[{extra!r}] = sys.modules['event_model'] = None  # not installed\n"
        "import benchtrail.agents\n"
        f"import benchtrail.agents.adapters.{extra}\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], check=False, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert f"ImportError: benchtrail.agents.adapters.{extra} needs" in result.stderr
    assert f"pip install 'benchtrail-agents[{extra}]'" in result.stderr


def test_the_agent_imports_none_of_the_frameworks():
    program = (
        "import sys, benchtrail.agents, benchtrail.agents.adapters\n"
        "print(sorted(m for m in ('openhtf', 'bluesky', 'ophyd', 'event_model')"
        " if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"

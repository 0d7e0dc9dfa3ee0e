"""Helpers of the role install tests: running uv in the workspace, venvs built from the lock."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
"""The workspace root (where ``uv.lock`` is)."""


def run_uv(uv: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run uv in the workspace root; its stdout, or a failure showing its stderr."""
    done = subprocess.run(
        [uv, *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=240, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"uv {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def role_venv(uv: str, directory: Path, package: str) -> Path:
    """A venv holding ``package`` and only its locked dependencies, installed offline.

    ``uv sync --frozen --offline`` installs exactly the lock's set from uv's cache
    (warm after ``uv sync``); workspace members are built as wheels, as pip would.
    """
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["UV_PROJECT_ENVIRONMENT"] = str(directory)
    run_uv(
        uv,
        *("sync", "--frozen", "--offline", "--no-dev", "--no-editable", "--quiet"),
        *("--package", package),
        env=env,
    )
    return directory / "bin"


def commands_in_help(help_text: str) -> set[str]:
    """The subcommand names a ``benchtrail --help`` output lists."""
    section = help_text.split("Commands:", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("  ")]
    return {row.split()[0] for row in rows if not row.startswith("   ")}

"""What a session records about where it runs: host, process, client, git, environment."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import platform
import socket
import subprocess
import sys
from pathlib import Path

from benchtrail.schemas import ClientInfo, EnvironmentInfo, GitInfo, ProcessInfo

KEY_PACKAGES = (
    "benchtrail-agents",
    "benchtrail-schemas",
    "nats-py",
    "msgspec",
    "pyvisa",
    "pyvisa-sim",
    "numpy",
    "polars",
    "pytest",
)
"""Packages whose versions every session and run records (when installed)."""

_LOCKFILES = ("uv.lock", "poetry.lock", "requirements.txt", "pylock.toml")


def hostname() -> str:
    """This machine's host name."""
    return socket.gethostname()


def detect_client() -> ClientInfo:
    """Name the program that opened the session: pytest, jupyter, or the script."""
    if "pytest" in sys.modules or "PYTEST_CURRENT_TEST" in os.environ:
        return ClientInfo(name="pytest", version=_version("pytest"))
    if "ipykernel" in sys.modules:
        return ClientInfo(name="jupyter", version=_version("ipykernel"))
    script = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return ClientInfo(name=script or "python", version="")


def process_info() -> ProcessInfo:
    """The current process and its client."""
    return ProcessInfo(pid=os.getpid(), client=detect_client())


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return ""


@functools.cache
def environment_info(cwd: str | None = None) -> EnvironmentInfo:
    """Python version, key package versions and the lockfile hash of the project."""
    packages = {name: v for name in KEY_PACKAGES if (v := _version(name))}
    return EnvironmentInfo(
        python=platform.python_version(), packages=packages, lockfile_hash=_lockfile_hash(cwd)
    )


def _lockfile_hash(cwd: str | None) -> str:
    start = Path(cwd or os.getcwd()).resolve()
    for folder in (start, *start.parents):
        for name in _LOCKFILES:
            candidate = folder / name
            if candidate.is_file():
                digest = hashlib.sha256(candidate.read_bytes()).hexdigest()[:16]
                return f"{name}:{digest}"
    return ""


def _git(args: list[str], cwd: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=2, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


@functools.cache
def git_info(cwd: str | None = None) -> GitInfo:
    """Commit, branch, remote and dirty flag of the git checkout around ``cwd``."""
    where = cwd or os.getcwd()
    commit = _git(["rev-parse", "HEAD"], where)
    if not commit:
        return GitInfo()
    return GitInfo(
        commit=commit,
        branch=_git(["rev-parse", "--abbrev-ref", "HEAD"], where),
        remote=_git(["config", "--get", "remote.origin.url"], where),
        dirty=bool(_git(["status", "--porcelain", "--untracked-files=no"], where)),
    )

"""Where a benchmark's figures were taken, for its ``--json`` report.

Both ``ingest.py`` and ``queries.py`` write the same ``machine`` object, so
``perf_table.py`` can head each table with the machine, its load and the versions.
"""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata

PACKAGES = ("chdb", "clickhouse-connect", "nats-py", "litestar", "msgspec", "pyarrow", "numpy")


def machine() -> dict[str, object]:
    """Cores, load average, platform, versions and the git commit."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = ""
    return {
        "cores": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        "platform": platform.platform(),
        "versions": versions,
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    except OSError:
        return ""
    return done.stdout.strip()

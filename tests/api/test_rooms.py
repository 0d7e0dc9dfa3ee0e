"""The analyst's rooms stay light: ``client/`` and ``models/`` import nothing of the hub.

``pip install benchtrail-api`` must give ``EventStore`` without the web server, the
warehouse driver, the hub's NATS services or the station's instruments. These tests
read every module of those rooms (and the shared ``errors``/``timestamps``) and import
the package in a fresh interpreter to prove it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import httpx

import benchtrail.api

API_DIR = Path(benchtrail.api.__file__).parent
LIGHT_ROOMS = ("client", "models")
SHARED_MODULES = ("__init__.py", "errors.py", "timestamps.py")
FORBIDDEN = (
    "benchtrail.api.http",
    "benchtrail.api.hub",
    "benchtrail.api.queries",
    "benchtrail.api.cli",
    "benchtrail.api.mcp",
    "benchtrail.projector",
    "benchtrail.agents",
    "chdb",
    "clickhouse_connect",
    "litestar",
    "uvicorn",
    "nats",
    "pyvisa",
    "mcp",
)
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()
LOWER_THAN_CLIENT = ("models/", "errors.py", "timestamps.py")
"""Modules the client builds on: they never import the client back."""
HEAVY_AT_RUNTIME = (
    "litestar",
    "uvicorn",
    "chdb",
    "clickhouse_connect",
    "nats",
    "pyvisa",
    "mcp",
    "benchtrail.projector",
    "benchtrail.agents",
    "benchtrail.api.http",
    "benchtrail.api.hub",
    "benchtrail.api.queries",
)


def _light_modules() -> list[Path]:
    modules = [path for room in LIGHT_ROOMS for path in sorted((API_DIR / room).rglob("*.py"))]
    return modules + [API_DIR / name for name in SHARED_MODULES]


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def test_light_rooms_exist() -> None:
    for room in LIGHT_ROOMS:
        assert list((API_DIR / room).glob("*.py")), f"no modules under api/{room}/"


def test_client_and_models_import_nothing_of_the_hub_or_the_web_server() -> None:
    broken = []
    for path in _light_modules():
        relative = path.relative_to(API_DIR).as_posix()
        for line, module in _imported_modules(ast.parse(path.read_text(), str(path))):
            if _forbidden(module) and not any(
                relative == where and module.startswith(allowed)
                for where, allowed in KNOWN_EXCEPTIONS
            ):
                broken.append(f"api/{relative}:{line} imports {module}")
    assert not broken, "light rooms import heavy modules:\n" + "\n".join(sorted(set(broken)))


def test_models_never_import_the_client() -> None:
    broken = []
    for path in _light_modules():
        relative = path.relative_to(API_DIR).as_posix()
        if not relative.startswith(LOWER_THAN_CLIENT):
            continue
        for line, module in _imported_modules(ast.parse(path.read_text(), str(path))):
            if module == "benchtrail.api.client" or module.startswith("benchtrail.api.client."):
                broken.append(f"api/{relative}:{line} imports {module}")
    assert not broken, "models import the client:\n" + "\n".join(broken)


def test_importing_the_client_loads_no_heavy_module() -> None:
    probe = (
        "import sys, benchtrail.api\n"
        "from benchtrail.api import EventStore, Records, Window, WindowClient\n"
        f"heavy = {HEAVY_AT_RUNTIME!r}\n"
        "loaded = sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') "
        "for h in heavy))\n"
        "print('\\n'.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "", (
        "import benchtrail.api loaded heavy modules:\n" + result.stdout
    )


def test_the_dashboard_ships_in_the_http_room_and_is_served(api_url: str) -> None:
    home = httpx.get(f"{api_url}/", follow_redirects=True, timeout=10)
    assert home.status_code == 200
    assert home.url.path == "/dashboard/"
    assert "<html" in home.text.lower()
    for asset in ("js/api.js", "css/dashboard.css"):
        response = httpx.get(f"{api_url}/dashboard/{asset}", timeout=10)
        assert response.status_code == 200, asset
        assert response.content

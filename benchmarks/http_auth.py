"""What authentication costs an HTTP request: the same API served open and with tokens.

Serves one chDB warehouse twice in this process with uvicorn — once open (the hub on
loopback without ``--auth``), once with a token store (``--auth``) — and times the
same requests against both, interleaved so that machine noise hits both alike.
Prints p50/p99 per route and mode and the ratio auth/open. Requests go over real
HTTP with keep-alive (one connection per mode), as a dashboard or script would.

    uv run python benchmarks/http_auth.py
    uv run python benchmarks/http_auth.py --requests 5000
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import uvicorn

from benchtrail.api.http import create_app
from benchtrail.api.http.security import SecurityConfig
from benchtrail.api.hub.access import token_store
from benchtrail.projector import open_warehouse

ROUTES = ("/api/health", "/api/sessions?limit=50", "/api/stations", "/api/runs?limit=50")


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # serve in a thread
        pass


def _serve(app: object) -> tuple[_Server, str]:
    """Serve ``app`` on a free loopback port in a thread; return the server and its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server, f"http://127.0.0.1:{port}"


def _time(client: httpx.Client, route: str) -> float:
    t0 = time.perf_counter()
    response = client.get(route)
    elapsed = time.perf_counter() - t0
    if response.status_code != 200:
        raise SystemExit(f"{route} answered {response.status_code}: {response.text[:200]}")
    return elapsed


def _line(route: str, open_s: list[float], auth_s: list[float]) -> str:
    o = np.asarray(open_s) * 1000
    a = np.asarray(auth_s) * 1000
    o50, o99, a50, a99 = (np.percentile(x, q) for x in (o, a) for q in (50, 99))
    return (
        f"{route:<26} open p50 {o50:6.2f} p99 {o99:6.2f} ms | "
        f"auth p50 {a50:6.2f} p99 {a99:6.2f} ms | ratio p50 {a50 / o50:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per route and mode")
    args = parser.parse_args()
    for quiet in ("httpx", "mcp"):  # one INFO line per request would be timed too
        logging.getLogger(quiet).setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bt-http-auth-") as tmp:
        warehouse = open_warehouse(str(Path(tmp) / "warehouse"))
        tokens = token_store(Path(tmp) / "data")
        viewer = tokens.create("bench", "viewer").token
        open_server, open_url = _serve(create_app(warehouse))
        auth_app = create_app(warehouse, security=SecurityConfig(tokens=tokens))
        auth_server, auth_url = _serve(auth_app)
        headers = {"Authorization": f"Bearer {viewer}"}
        with (
            httpx.Client(base_url=open_url) as plain,
            httpx.Client(base_url=auth_url, headers=headers) as signed,
        ):
            print(f"{args.requests} GETs per route and mode, interleaved, one keep-alive each")
            for route in ROUTES:
                for _ in range(50):  # warm both
                    _time(plain, route), _time(signed, route)
                open_s, auth_s = [], []
                for _ in range(args.requests):
                    open_s.append(_time(plain, route))
                    auth_s.append(_time(signed, route))
                print(_line(route, open_s, auth_s), flush=True)
        open_server.should_exit = auth_server.should_exit = True
        time.sleep(0.3)
        warehouse.close()


if __name__ == "__main__":
    main()

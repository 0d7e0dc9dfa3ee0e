"""The hub's uvicorn keeps its places for clients that send requests, and says no beyond them.

Served with :func:`api_server_config` exactly as ``benchtrail up`` serves the API, on a
free loopback port: a client that never finishes its request is cut off, the request
line and headers are bounded, and requests past the concurrency limit get 503 at once.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import httpx
import pytest
import uvicorn

from benchtrail.api.http import create_app
from benchtrail.api.hub.http_server import (
    MAX_HEAD_BYTES,
    BoundedH11Protocol,
    api_server_config,
    upload_budget_s,
)
from benchtrail.api.hub.windows.content import MAX_FILE_BYTES

from .seed import Seed

Serve = Callable[..., AbstractContextManager[tuple[str, int]]]


@pytest.fixture
def serve(seeded: Seed) -> Serve:
    """Serves the API with the hub's uvicorn configuration; yields its host and port."""

    @contextmanager
    def serving(**limits: int) -> Iterator[tuple[str, int]]:
        config = api_server_config(create_app(seeded.warehouse), host="127.0.0.1", port=0, **limits)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="uvicorn-bounded", daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 30
            while not server.started:
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.01)
            host, port = server.servers[0].sockets[0].getsockname()[:2]
            yield host, port
        finally:
            server.should_exit = True
            thread.join(timeout=30)

    return serving


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes ``sock`` within ``seconds`` (reading whatever it sends)."""
    sock.settimeout(seconds)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return False


@pytest.fixture
def short_read_timeout(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(BoundedH11Protocol, "read_timeout_s", 0.5)
    return 0.5


def test_a_request_sent_too_slowly_is_cut_off(serve: Serve, short_read_timeout: float) -> None:
    with serve() as (host, port), socket.create_connection((host, port)) as slow:
        slow.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        assert closed_within(slow, short_read_timeout + 5)


def test_a_connection_that_sends_nothing_is_cut_off(
    serve: Serve, short_read_timeout: float
) -> None:
    with serve() as (host, port), socket.create_connection((host, port)) as silent:
        assert closed_within(silent, short_read_timeout + 5)


def test_a_body_sent_too_slowly_is_cut_off(serve: Serve, short_read_timeout: float) -> None:
    head = b"POST /api/admin/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    head += b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    with serve() as (host, port), socket.create_connection((host, port)) as slow:
        slow.sendall(head)
        assert closed_within(slow, short_read_timeout + 5)


def test_a_prompt_client_keeps_its_connection_between_requests(
    serve: Serve, short_read_timeout: float
) -> None:
    with serve() as (host, port), httpx.Client(base_url=f"http://{host}:{port}") as client:
        assert client.get("/api/health").status_code == 200
        time.sleep(short_read_timeout * 2)  # idle, within the keep-alive timeout
        assert client.get("/api/health").status_code == 200


def test_a_head_far_over_the_limit_is_refused(serve: Serve) -> None:
    # h11 counts what it holds of an unfinished head: one socket read may bring more
    head = b"GET /api/sessions?station=" + b"s" * (64 * MAX_HEAD_BYTES)
    with serve() as (host, port):
        with socket.create_connection((host, port)) as sender:
            answer = b""
            try:
                sender.sendall(head)  # no end of line: the head is never finished
                sender.settimeout(5)
                answer = sender.recv(65536)
            except ConnectionResetError:
                pass  # refused while still sending: also a refusal
            assert answer == b"" or answer.startswith(b"HTTP/1.1 400")
            assert closed_within(sender, 5)
        assert httpx.get(f"http://{host}:{port}/api/health", timeout=5).status_code == 200


def _answer_to(host: str, port: int, request: bytes) -> tuple[bytes, bytes]:
    """Send raw bytes; the status line and the body of the answer (the server closes)."""
    with socket.create_connection((host, port)) as sender:
        sender.sendall(request)
        sender.settimeout(5)
        answer = b""
        while chunk := sender.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], body


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"HELLO THERE\r\n\r\n",
        b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nbroken header\r\n\r\n",
        b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"x" * (2 * MAX_HEAD_BYTES),
    ],
    ids=["not-http", "bad-header", "head-too-long"],
)
def test_a_request_the_parser_refuses_gets_a_json_400(serve: Serve, request_bytes: bytes) -> None:
    with serve() as (host, port):
        status, body = _answer_to(host, port, request_bytes)
        assert status.startswith(b"HTTP/1.1 400"), status
        error = json.loads(body)
        assert error["error"] == "bad_request" and error["status_code"] == 400
        assert "not a valid HTTP/1.1 request" in error["detail"]
        assert httpx.get(f"http://{host}:{port}/api/health", timeout=5).status_code == 200


def test_requests_past_the_concurrency_limit_get_503_at_once(serve: Serve) -> None:
    with serve(max_concurrency=3) as (host, port):
        idle = [socket.create_connection((host, port)) for _ in range(3)]
        try:
            time.sleep(0.2)  # the server has accepted them
            started = time.monotonic()
            response = httpx.get(f"http://{host}:{port}/api/health", timeout=5)
            assert response.status_code == 503
            assert time.monotonic() - started < 1
            assert response.headers["content-type"] == "application/json"
            assert response.headers["retry-after"] == "1"
            body = response.json()
            assert body["error"] == "limit_reached" and body["status_code"] == 503
            assert body["limit"] == "http_max_concurrency"
            assert "at most 3 connections" in body["detail"]
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.2)
        assert httpx.get(f"http://{host}:{port}/api/health", timeout=5).status_code == 200


def test_only_a_file_upload_gets_time_for_its_body_at_1_mb_per_s() -> None:
    upload = {"method": "PUT", "path": "/api/files/f1/content"}
    assert upload_budget_s({**upload, "headers": [(b"content-length", b"2000000")]}) == 2.0
    assert upload_budget_s({**upload, "headers": []}) == MAX_FILE_BYTES / 1_000_000
    huge = [(b"content-length", str(10 * MAX_FILE_BYTES).encode())]
    assert upload_budget_s({**upload, "headers": huge}) == MAX_FILE_BYTES / 1_000_000
    length = [(b"content-length", b"2000000")]
    assert upload_budget_s({"method": "POST", "path": "/api/files", "headers": length}) == 0
    assert upload_budget_s({"method": "GET", "path": upload["path"], "headers": length}) == 0

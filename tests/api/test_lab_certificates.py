"""A lab CA and the hub's certificate: stations and browsers trust the hub through ``ca.pem``.

Checked with the real clients: Python's ``ssl`` for every name, nats-py against a real
nats-server with ``tls {}``, httpx against uvicorn serving HTTPS.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl
import stat
import threading
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import nats
import nats.errors
import pytest
import uvicorn
from cryptography import x509

from benchtrail.api.errors import BadHostName, LabCertificateError
from benchtrail.api.hub.natsserver import NatsServer
from benchtrail.api.hub.tls import LabCertificates, ensure_lab_certificates, fingerprint

HOSTS = ("hub.lab.example", "10.0.4.2", "fd00::2")


@pytest.fixture
def lab(tmp_path: Path) -> LabCertificates:
    """A fresh lab CA and hub certificate for the given hosts."""
    return ensure_lab_certificates(tmp_path / "tls", HOSTS)


def _handshake(lab: LabCertificates, host: str) -> None:
    """A TLS handshake in memory: a client trusting only the CA, asking for ``host``.

    Raises:
        ssl.SSLCertVerificationError: the hub's certificate is not valid for ``host``.
    """
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(lab.server_cert, lab.server_key)
    client_context = ssl.create_default_context(cafile=str(lab.ca_cert))
    client_in, client_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    server_in, server_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_context.wrap_bio(client_in, client_out, server_hostname=host)
    server = server_context.wrap_bio(server_in, server_out, server_side=True)
    done: set[str] = set()
    for _ in range(10):
        for name, end in (("client", client), ("server", server)):
            if name not in done:
                try:
                    end.do_handshake()
                    done.add(name)
                except ssl.SSLWantReadError:
                    pass
        server_in.write(client_out.read())
        client_in.write(server_out.read())
        if done == {"client", "server"}:
            return
    raise AssertionError(f"no handshake for {host}")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1", socket.gethostname(), *HOSTS])
def test_the_hub_certificate_verifies_against_the_lab_ca_for_each_name(
    lab: LabCertificates, host: str
) -> None:
    _handshake(lab, host)


def test_a_name_the_certificate_was_not_made_for_is_refused(lab: LabCertificates) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        _handshake(lab, "other.lab.example")


def test_keys_are_readable_by_their_owner_only_and_the_result_tells_what_to_give(
    lab: LabCertificates,
) -> None:
    assert stat.S_IMODE(lab.ca_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(lab.server_key.stat().st_mode) == 0o600
    assert [path.name for path in (lab.ca_cert, lab.server_cert)] == ["ca.pem", "hub.pem"]
    der = ssl.PEM_cert_to_DER_cert(lab.ca_cert.read_text())
    assert lab.fingerprint.replace(":", "") == hashlib.sha256(der).hexdigest().upper()
    assert len(lab.fingerprint.split(":")) == 32  # AB:CD:…, as openssl -fingerprint shows it
    text = lab.describe()
    assert lab.fingerprint in text and f"tls_ca: {lab.ca_cert}" in text
    assert "hub.lab.example" in text and "(new)" in text


def test_a_second_start_reuses_the_ca_and_the_certificate(lab: LabCertificates) -> None:
    ca_bytes, server_bytes = lab.ca_cert.read_bytes(), lab.server_cert.read_bytes()
    again = ensure_lab_certificates(lab.ca_cert.parent, HOSTS)

    assert again.fingerprint == lab.fingerprint
    assert (again.ca_created, again.server_created) == (False, False)
    assert again.ca_cert.read_bytes() == ca_bytes
    assert again.server_cert.read_bytes() == server_bytes
    assert "(reused)" in again.describe()


def test_new_hosts_give_a_new_hub_certificate_from_the_same_ca(lab: LabCertificates) -> None:
    moved = ensure_lab_certificates(lab.ca_cert.parent, [*HOSTS, "hub2.lab.example"])

    assert moved.fingerprint == lab.fingerprint and not moved.ca_created
    assert moved.server_created and "hub2.lab.example" in moved.hosts
    _handshake(moved, "hub2.lab.example")


def test_a_certificate_from_another_ca_is_replaced(lab: LabCertificates, tmp_path: Path) -> None:
    other = ensure_lab_certificates(tmp_path / "other", HOSTS)
    lab.server_cert.write_bytes(other.server_cert.read_bytes())
    lab.server_key.write_bytes(other.server_key.read_bytes())

    repaired = ensure_lab_certificates(lab.ca_cert.parent, HOSTS)

    assert repaired.server_created and repaired.fingerprint == lab.fingerprint
    _handshake(repaired, "hub.lab.example")


def test_wildcards_bracketed_addresses_and_international_names_are_accepted(
    tmp_path: Path,
) -> None:
    lab = ensure_lab_certificates(
        tmp_path / "tls", ["*.lab.example", "[fd00::3]", "bücher.example"]
    )

    assert {"*.lab.example", "fd00::3", "xn--bcher-kva.example"} <= set(lab.hosts)
    _handshake(lab, "cell-7.lab.example")
    _handshake(lab, "fd00::3")
    _handshake(lab, "xn--bcher-kva.example")


@pytest.mark.parametrize(
    "host",
    ["https://hub.lab.example", "hub.lab.example:4222", "bad_name.lab", "-hub.lab", "a..b", " "],
)
def test_a_bad_host_name_is_refused_naming_the_value(tmp_path: Path, host: str) -> None:
    with pytest.raises(BadHostName) as raised:
        ensure_lab_certificates(tmp_path / "tls", [host])
    assert repr(host) in str(raised.value)
    assert not (tmp_path / "tls").exists()


def test_a_ca_certificate_without_its_key_is_not_overwritten(lab: LabCertificates) -> None:
    lab.ca_key.unlink()
    with pytest.raises(LabCertificateError, match=r"ca-key\.pem.*missing"):
        ensure_lab_certificates(lab.ca_cert.parent, HOSTS)
    assert fingerprint_of(lab.ca_cert) == lab.fingerprint


def fingerprint_of(path: Path) -> str:
    """The SHA-256 fingerprint of the certificate in ``path``."""
    return fingerprint(x509.load_pem_x509_certificate(path.read_bytes()))


# --- nats-server with the hub's certificate -----------------------------------------


@pytest.fixture
def tls_nats(lab: LabCertificates, tmp_path: Path) -> Iterator[NatsServer]:
    """A real nats-server requiring TLS for clients, with the hub's certificate."""
    config = f'tls {{\n  cert_file: "{lab.server_cert}"\n  key_file: "{lab.server_key}"\n}}\n'
    server = NatsServer(tmp_path / "jetstream", config=config).start()
    try:
        yield server
    finally:
        server.stop()


async def _round_trip(url: str, tls: ssl.SSLContext | None) -> bytes:
    nc = await nats.connect(
        url, tls=tls, connect_timeout=2, allow_reconnect=False, max_reconnect_attempts=0
    )
    try:
        reply = await nc.request("$JS.API.INFO", b"", timeout=5)
        return bytes(reply.data)
    finally:
        await nc.close()


def test_nats_clients_trusting_the_lab_ca_connect_over_tls(
    lab: LabCertificates, tls_nats: NatsServer
) -> None:
    context = ssl.create_default_context(cafile=str(lab.ca_cert))
    answer = asyncio.run(_round_trip(f"tls://127.0.0.1:{tls_nats.port}", context))
    assert b'"type":"io.nats.jetstream.api.v1.account_info_response"' in answer


def test_a_nats_client_without_the_ca_is_refused(tls_nats: NatsServer) -> None:
    with pytest.raises((ssl.SSLCertVerificationError, nats.errors.NoServersError)):
        asyncio.run(_round_trip(f"nats://127.0.0.1:{tls_nats.port}", None))


def test_a_plain_text_connection_is_refused_by_the_server(tls_nats: NatsServer) -> None:
    with socket.create_connection(("127.0.0.1", tls_nats.port), timeout=5) as plain:
        info = plain.recv(4096)
        assert b'"tls_required":true' in info
        plain.sendall(b'CONNECT {"verbose":false}\r\nPING\r\n')
        answer = b""
        while chunk := plain.recv(4096):  # until the server hangs up
            answer += chunk
    assert b"PONG" not in answer, "a client without TLS was served"


# --- HTTPS with uvicorn -------------------------------------------------------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


async def _hello(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """The smallest ASGI app: ``hello`` to every request."""
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


class _Server(uvicorn.Server):
    """A uvicorn server that says when it is listening."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.listening.set()


@pytest.fixture
def https_port(lab: LabCertificates) -> Iterator[int]:
    """uvicorn serving :func:`_hello` over HTTPS with the hub's certificate."""
    config = uvicorn.Config(
        _hello,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="off",
        ssl_certfile=str(lab.server_cert),
        ssl_keyfile=str(lab.server_key),
    )
    server = _Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-https", daemon=True)
    thread.start()
    try:
        assert server.listening.wait(timeout=30) and server.started, "uvicorn did not start"
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_https_answers_a_client_trusting_the_lab_ca(
    lab: LabCertificates, https_port: int, host: str
) -> None:
    verify = ssl.create_default_context(cafile=str(lab.ca_cert))
    response = httpx.get(f"https://{host}:{https_port}/", verify=verify)
    assert response.status_code == 200 and response.text == "hello"


def test_https_is_not_trusted_without_the_lab_ca(https_port: int) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"https://127.0.0.1:{https_port}/")

"""TLS on the hub's NATS port and HTTPS on its API; stations trust it with ``tls_ca``."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from benchtrail.agents import connect
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.hub.identity import StationRegistry, credentials_path


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key (test only)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "benchtrail test hub")])
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert, key_file = directory / "hub.pem", directory / "hub.key"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key_file


def test_a_station_records_over_tls_with_credentials_and_the_api_answers_https(
    start_hub: Callable[..., AbstractContextManager[Hub]], tmp_path: Path
):
    cert, key = self_signed(tmp_path)
    with start_hub(auth=True, tls_cert=str(cert), tls_key=str(key)) as hub:
        assert hub.nats.url.startswith("tls://") and hub.api_url.startswith("https://")
        path = credentials_path(hub.data_dir, "cell-7")
        StationRegistry(hub.data_dir).add("cell-7").write(path)
        hub.nats.reload()
        with connect("cell-7", hub=hub.nats.url, credentials=str(path), tls_ca=str(cert)) as st:
            st.log("over TLS")
        hub.wait_ingested()
        trust = ssl.create_default_context(cafile=str(cert))
        sessions = httpx.get(f"{hub.api_url}/api/sessions", verify=trust).json()["items"]
    assert [s["station_id"] for s in sessions] == ["cell-7"]

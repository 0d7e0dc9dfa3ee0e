"""A certificate authority of the lab's own and the hub's certificate signed by it.

A factory or lab network rarely has a public name for the hub, so the hub can be its
own authority: :func:`ensure_lab_certificates` makes a self-signed CA once, keeps it
in the hub's data directory, and signs a server certificate for the names stations
use to reach the hub. Stations then trust ``ca.pem`` only (``tls_ca:``); operators
compare the CA's SHA-256 fingerprint, printed by ``benchtrail up --tls-generate``,
with the one a station sees. Keys are ECDSA P-256 and written with mode 0600.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from benchtrail.api.errors import BadHostName, LabCertificateError

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
SERVER_CERT = "hub.pem"
SERVER_KEY = "hub-key.pem"

CA_LIFETIME = datetime.timedelta(days=3650)
"""Ten years: stations keep trusting the same ``ca.pem`` for the life of the lab."""
SERVER_LIFETIME = datetime.timedelta(days=825)
"""The longest lifetime browsers and Apple platforms accept for a server certificate."""
RENEW_BEFORE = datetime.timedelta(days=30)
"""A server certificate that expires sooner than this is made again at the next start."""
_CLOCK_SKEW = datetime.timedelta(minutes=5)

ALWAYS = ("localhost", "127.0.0.1", "::1")
"""Names every hub certificate is valid for, besides the machine's and the given ones."""

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

HostName: TypeAlias = x509.DNSName | x509.IPAddress
"""A name the hub's certificate is valid for."""


@dataclass(frozen=True, kw_only=True)
class LabCertificates:
    """The files of a lab CA and of the hub's certificate, and what to tell stations.

    Attributes:
        ca_cert: the CA certificate stations trust (``tls_ca:``, ``BENCHTRAIL_TLS_CA``).
        ca_key: the CA's private key (mode 0600); never leaves the hub.
        server_cert: the hub's certificate, for nats-server and HTTPS.
        server_key: the hub's private key (mode 0600).
        fingerprint: SHA-256 of the CA certificate, ``AB:CD:…``, what operators compare.
        hosts: the DNS names and IP addresses the hub's certificate is valid for.
        not_after: when the hub's certificate expires (UTC).
        ca_created: whether this call made a new CA (stations must get the new ``ca.pem``).
        server_created: whether this call made a new hub certificate.
    """

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    fingerprint: str
    hosts: tuple[str, ...]
    not_after: datetime.datetime
    ca_created: bool
    server_created: bool

    def describe(self) -> str:
        """Lines for the terminal: what was made or reused, and what to give stations."""
        ca_state = "new" if self.ca_created else "reused"
        server_state = "new" if self.server_created else "reused"
        return "\n".join(
            (
                f"lab CA ({ca_state}): {self.ca_cert}",
                f"  SHA-256 fingerprint: {self.fingerprint}",
                f"hub certificate ({server_state}): {self.server_cert}",
                f"  valid for {', '.join(self.hosts)} until {self.not_after:%Y-%m-%d}",
                f"give stations the CA: tls_ca: {self.ca_cert}",
            )
        )


def ensure_lab_certificates(directory: Path, hosts: Sequence[str] = ()) -> LabCertificates:
    """Make (or reuse) a lab CA and a hub certificate it signed, in ``directory``.

    The CA (``ca.pem``, ``ca-key.pem``) is made once and reused on later starts, so
    stations keep trusting it. The hub's certificate (``hub.pem``, ``hub-key.pem``) is
    made again when the names change, when it was not signed by this CA, or when it
    expires within 30 days. It is valid for ``localhost``, ``127.0.0.1``, ``::1``, the
    machine's host name and every name in ``hosts``.

    Args:
        directory: where the four files live (created, mode 0700, if missing).
        hosts: further DNS names (``hub.lab.example``, ``*.lab.example``) or IP
            addresses (``10.0.4.2``, ``fd00::2``) stations use to reach the hub.

    Returns:
        The paths, the CA's SHA-256 fingerprint and what was made anew.

    Raises:
        BadHostName: a value of ``hosts`` is not a DNS name or IP address.
        LabCertificateError: a CA file exists without its partner, or cannot be read.
    """
    names = _certificate_names(hosts)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_cert, ca_key, ca_created = _ensure_ca(directory, now)
    server_cert, server_created = _ensure_server(directory, names, ca_cert, ca_key, now)
    return LabCertificates(
        ca_cert=directory / CA_CERT,
        ca_key=directory / CA_KEY,
        server_cert=directory / SERVER_CERT,
        server_key=directory / SERVER_KEY,
        fingerprint=fingerprint(ca_cert),
        hosts=tuple(_show(name) for name in names),
        not_after=server_cert.not_valid_after_utc,
        ca_created=ca_created,
        server_created=server_created,
    )


def fingerprint(certificate: x509.Certificate) -> str:
    """The SHA-256 fingerprint of a certificate as operators read it: ``AB:CD:…``."""
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()


def parse_host(host: str) -> HostName:
    """One certificate name from a host as an operator writes it.

    Args:
        host: a DNS name (``hub.lab.example``, a leading ``*.`` allowed), an IPv4 or
            IPv6 address (``[fd00::2]`` too).

    Raises:
        BadHostName: anything else (a URL, a port, spaces, an empty label, …).
    """
    text = host.strip()
    if not text:
        raise BadHostName(host, "it is empty")
    try:
        return x509.IPAddress(ipaddress.ip_address(text.removeprefix("[").removesuffix("]")))
    except ValueError:
        pass
    if "://" in text or "/" in text or ":" in text:
        raise BadHostName(host, "give a bare host name or IP address, without scheme or port")
    try:
        ascii_name = text.encode("idna").decode("ascii").lower().rstrip(".")
    except UnicodeError as e:
        raise BadHostName(host, f"not a valid international domain name ({e})") from e
    labels = ascii_name.split(".")
    if labels[0] == "*" and len(labels) > 2:
        labels = labels[1:]
    bad = next((label for label in labels if not _LABEL.match(label)), None)
    if bad is not None:
        raise BadHostName(
            host, f"the label {bad!r} is not one of a DNS name (letters, digits, inner '-')"
        )
    if len(ascii_name) > 253:
        raise BadHostName(host, "a DNS name has at most 253 characters")
    return x509.DNSName(ascii_name)


def _certificate_names(hosts: Sequence[str]) -> list[HostName]:
    """Every name of the hub's certificate, in a stable order without duplicates."""
    given = [parse_host(host) for host in hosts]
    names: list[HostName] = [parse_host(host) for host in ALWAYS]
    # A machine name no certificate can hold (an underscore) is left out; the others work.
    with contextlib.suppress(BadHostName):
        names.append(parse_host(socket.gethostname()))
    return list(dict.fromkeys(names + given))


def _show(name: HostName) -> str:
    return str(name.value)


def _ensure_ca(
    directory: Path, now: datetime.datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey, bool]:
    """The lab CA of ``directory``: read it if both files exist, else make it."""
    cert_path, key_path = directory / CA_CERT, directory / CA_KEY
    if cert_path.exists() != key_path.exists():
        missing = key_path if cert_path.exists() else cert_path
        raise LabCertificateError(
            str(missing),
            "missing while its partner exists; restore it, or move both CA files away "
            "to make a new CA (stations must then be given the new ca.pem)",
        )
    if cert_path.exists():
        certificate, key = _read_pair(cert_path, key_path)
        if certificate.not_valid_after_utc > now:
            return certificate, key, False
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "benchtrail lab"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"benchtrail lab CA {socket.gethostname()}"),
        ]
    )
    public = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        _builder(name, name, key.public_key(), now, CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(public, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(public), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
    return certificate, key, True


def _ensure_server(
    directory: Path,
    names: list[HostName],
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    now: datetime.datetime,
) -> tuple[x509.Certificate, bool]:
    """The hub's certificate: reused if it still fits, else made and signed by the CA."""
    cert_path, key_path = directory / SERVER_CERT, directory / SERVER_KEY
    if cert_path.exists() and key_path.exists():
        try:
            current, _ = _read_pair(cert_path, key_path)
        except LabCertificateError:
            current = None  # ours to remake: only the CA is precious
        if current is not None and _still_fits(current, names, ca_cert, now):
            return current, False
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "benchtrail lab"),
            x509.NameAttribute(NameOID.COMMON_NAME, "benchtrail hub"),
        ]
    )
    ca_public = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    certificate = (
        _builder(subject, ca_cert.subject, key.public_key(), now, SERVER_LIFETIME)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_public),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
    return certificate, True


def _still_fits(
    certificate: x509.Certificate,
    names: list[HostName],
    ca_cert: x509.Certificate,
    now: datetime.datetime,
) -> bool:
    """Whether the hub's certificate has these names, this issuer and time left."""
    try:
        certificate.verify_directly_issued_by(ca_cert)
        present = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except (InvalidSignature, ValueError, TypeError, x509.ExtensionNotFound):
        return False
    return set(present.value) == set(names) and certificate.not_valid_after_utc - now > RENEW_BEFORE


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    now: datetime.datetime,
    lifetime: datetime.timedelta,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + lifetime)
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _read_pair(
    cert_path: Path, key_path: Path
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate and its EC private key, checked to belong together."""
    try:
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError) as e:
        raise LabCertificateError(str(cert_path), f"not a readable PEM certificate: {e}") from e
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as e:
        raise LabCertificateError(str(key_path), f"not a readable, unencrypted PEM key: {e}") from e
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != (
        certificate.public_key()
    ):
        raise LabCertificateError(str(key_path), f"not the private key of {cert_path.name}")
    return certificate, key


def _write(path: Path, content: bytes, *, private: bool = False) -> None:
    """Replace ``path`` at once with ``content``; a private file is mode 0600 from birth."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)  # a leftover would keep its own mode
    descriptor = os.open(
        temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644
    )
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)

"""A real SMTP server for tests (aiosmtpd in a thread): plain, STARTTLS or implicit TLS, with
login when given users, and a CA plus a server certificate made for it (cryptography).

It records each message it accepts, with whether the connection was encrypted and who
logged in, so a test can check what a real server saw."""

import asyncio
import datetime
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

import pytest

pytest.importorskip("aiosmtpd", reason="aiosmtpd (dev extra) is not installed")
pytest.importorskip("cryptography", reason="cryptography (dev extra) is not installed")

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class TlsFiles:
    ca: Path  # what the client trusts (SMTP_CA_FILE)
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_tls_files(directory: Path) -> TlsFiles:
    """A throw-away CA and a certificate it signs for localhost and 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    end = start + datetime.timedelta(days=3)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name("portal test CA"))
        .issuer_name(name("portal test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    files.ca.write_bytes(ca_cert.public_bytes(pem))
    files.cert.write_bytes(cert.public_bytes(pem))
    files.key.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files


@dataclass
class Received:
    subject: str
    to: list[str]
    encrypted: bool
    login: str | None


class SmtpServer:
    """``tls``: None (plain), "starttls" (offered and required before mail and login) or
    "ssl" (TLS from the first byte). ``users``: login -> password; login is then required."""

    def __init__(
        self,
        tls: str | None = None,
        tls_files: TlsFiles | None = None,
        users: dict[str, str] | None = None,
        delay: float = 0.0,
    ):
        self.messages: list[Received] = []
        self.failed_logins: list[str] = []
        self.delay = delay
        self._lock = threading.Lock()
        self.users = users or {}
        self.port = free_port()
        options: dict = {}
        if tls == "starttls":
            options.update(tls_context=tls_files.server_context(), require_starttls=True)
        if tls == "ssl":
            options["ssl_context"] = tls_files.server_context()
        if users:
            # With implicit TLS aiosmtpd does not know the connection is encrypted (and warns
            # about AUTH without TLS: tests filter that warning).
            options.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=tls != "ssl"
            )
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)

    def _authenticate(self, _server, _session, _envelope, mechanism, data):
        login, password = data.login.decode(), data.password.decode()
        if self.users.get(login) == password:
            return AuthResult(success=True, auth_data=login)
        self.failed_logins.append(login)
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        if self.delay:
            await asyncio.sleep(self.delay)  # senders overlap in their sessions
        message = message_from_bytes(envelope.content, policy=policy.default)
        login = session.auth_data if session.authenticated else None
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        with self._lock:
            self.messages.append(
                Received(message["Subject"], list(envelope.rcpt_tos), encrypted, login)
            )
        return "250 OK"

    def subjects(self) -> list[str]:
        with self._lock:
            return [m.subject for m in self.messages]

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.controller.stop()

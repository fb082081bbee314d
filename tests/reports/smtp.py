"""A real SMTP server on localhost for the tests (aiosmtpd), keeping every mail it accepted, or refusing them all."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class MailBox:
    """What the server accepted (as parsed messages) and how many DATA commands it saw."""

    refuse: bool = False
    received: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    attempts: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.attempts += 1
        if self.refuse:
            return "451 4.3.0 Mailbox temporarily unavailable"
        self.raw.append(envelope.original_content)
        self.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.received if message["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made by Debian's openssl."""
    certificate, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(certificate)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return certificate, key


def accept_one_login(username: str, password: str):
    """An authenticator for aiosmtpd that accepts exactly this username and password."""

    def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
        accepted = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == username.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=accepted)

    return authenticate


@contextmanager
def smtp_server(
    *, refuse: bool = False, tls: tuple[Path, Path] | None = None, login: tuple[str, str] | None = None
) -> Iterator[tuple[MailBox, int]]:
    """With `tls` (certificate, key) the server requires STARTTLS; with `login` it requires that sign-in."""
    box = MailBox(refuse=refuse)
    port = free_port()
    options = {}
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls)
        options.update(tls_context=context, require_starttls=True)
    if login is not None:
        options.update(authenticator=accept_one_login(*login), auth_required=True)
    controller = Controller(box, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()

"""A real SMTP server on localhost for the tests (aiosmtpd), keeping every mail it accepted, or refusing them all."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class MailBox:
    """What the server accepted (as parsed messages) and how many DATA commands it saw."""

    refuse: bool = False
    received: list[EmailMessage] = field(default_factory=list)
    attempts: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.attempts += 1
        if self.refuse:
            return "451 4.3.0 Mailbox temporarily unavailable"
        self.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.received if message["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(*, refuse: bool = False) -> Iterator[tuple[MailBox, int]]:
    box = MailBox(refuse=refuse)
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()

"""A real SMTP server for the tests: aiosmtpd on a free port of 127.0.0.1.

Every mail it receives is parsed and kept; tests wait for mails to a recipient and read
their text, HTML, headers and attachments. ``stop()`` and ``start()`` simulate a mail
server that is down for a while.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    def attachment(self, content_type: str = "text/calendar") -> bytes | None:
        for part in self.message.iter_attachments():
            if part.get_content_type() == content_type:
                return part.get_payload(decode=True)
        return None

    def links(self) -> list[str]:
        return re.findall(r"https?://\S+", self.text)

    def personal_link(self) -> str:
        return next(link for link in self.links() if "meine-anmeldung?token=" in link)


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, _server, _session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.server.lock:
            self.server.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), message)
            )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.envelope_to]

    def wait_for(self, address: str, count: int = 1, timeout: float = 30.0) -> list[Received]:
        """The mails to ``address`` once there are at least ``count`` (or AssertionError)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mails = self.to(address)
            if len(mails) >= count:
                return mails
            time.sleep(0.1)
        raise AssertionError(f"expected {count} mail(s) to {address}, got {len(self.to(address))}")

    def clear(self) -> None:
        with self.lock:
            self.received.clear()

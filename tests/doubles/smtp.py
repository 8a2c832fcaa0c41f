"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives: test double."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Collect:
    def __init__(self, box: list[EmailMessage], hello_names: list[str]) -> None:
        self.box = box
        self.hello_names = hello_names

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.hello_names.append(session.host_name)
        self.box.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class Mailbox:
    """An SMTP server on ``127.0.0.1:port``; ``start``/``stop`` simulate an outage."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.hello_names: list[str] = []  # the sender's name in EHLO, one per message
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(
            _Collect(self.messages, self.hello_names), hostname="127.0.0.1", port=self.port
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """Wait until ``count`` messages arrived in total (the worker sends asynchronously)."""
        await wait_until(lambda: len(self.messages) >= count, timeout)
        return self.messages

    async def wait_for_subject(
        self, subject: str, count: int = 1, timeout: float = 10
    ) -> list[EmailMessage]:
        """Wait for ``count`` emails with this subject; returns them, oldest first."""
        await wait_until(lambda: len(self.with_subject(subject)) >= count, timeout)
        return self.with_subject(subject)

    def with_subject(self, subject: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["Subject"] == subject]


async def wait_until(condition: Callable[[], bool | Awaitable[bool]], timeout: float = 10) -> None:
    """Poll until ``condition`` holds: the outbox worker acts asynchronously."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]

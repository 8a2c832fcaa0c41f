"""An SMTP server (aiosmtpd, on loopback) that takes its time: each message spends
``data_seconds`` in DATA (to see how many are in flight at once), and the recipients in
``hold`` wait at RCPT TO until ``release()`` (a job held mid-flight, nothing accepted yet)."""

from __future__ import annotations

import asyncio
import threading
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller

from tests.doubles.smtp import Mailbox


class _Slow:
    def __init__(self, box: SlowMailbox) -> None:
        self.box = box

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        box = self.box
        with box.lock:
            box.recipients_seen.append(address)
        if address in box.hold:
            box.held.set()
            while not box.released.is_set():
                await asyncio.sleep(0.02)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        box = self.box
        with box.lock:
            box.in_data += 1
            box.most_in_data = max(box.most_in_data, box.in_data)
        try:
            await asyncio.sleep(box.data_seconds)
        finally:
            with box.lock:
                box.in_data -= 1
        box.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SlowMailbox(Mailbox):
    def __init__(
        self, port: int | None = None, data_seconds: float = 0.0, hold: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(port)
        self.data_seconds = data_seconds
        self.hold = hold
        self.held = threading.Event()  # a held recipient reached RCPT TO
        self.released = threading.Event()
        self.lock = threading.Lock()
        self.recipients_seen: list[str] = []
        self.in_data = 0
        self.most_in_data = 0  # the most messages in DATA at the same time

    def start(self) -> None:
        self._controller = Controller(_Slow(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def release(self) -> None:
        self.released.set()

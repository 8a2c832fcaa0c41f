"""The SMTP sender against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket
import threading

import pytest

from otesaintjo.notifications.email import SmtpMailer
from tests.doubles.smtp import Mailbox

EMAIL = {"to": "client@example.re", "subject": "Commande", "text": "Merci.", "html": ""}


async def test_our_name_is_looked_up_once_not_on_the_event_loop_per_email(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiosmtplib would call the blocking ``socket.getfqdn()`` on the event loop for each
    connection; the mailer asks once, in a thread, and names itself with it after."""
    lookups: list[str] = []  # the threads that asked
    real = socket.getfqdn

    def counted(name: str = "") -> str:
        lookups.append(threading.current_thread().name)
        return real(name)

    monkeypatch.setattr(socket, "getfqdn", counted)
    mailer = SmtpMailer(mailbox.url, "Otesaintjo <bonjour@otesaintjo.re>")
    for _ in range(3):
        await mailer.send(EMAIL)
    await mailbox.wait_for(3)
    ours = [thread for thread in lookups if not thread.startswith("Thread-")]  # not aiosmtpd's
    assert len(ours) == 1 and ours[0] != threading.main_thread().name, lookups
    assert mailbox.hello_names == [real()] * 3

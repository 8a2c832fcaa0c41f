"""Email: rendering from French Jinja2 templates, and the senders (SMTP, or the log in dev)."""

from __future__ import annotations

import asyncio
import base64
import socket
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib
import structlog
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from otesaintjo import labels
from otesaintjo.clock import REUNION
from otesaintjo.money import format_cents

log = structlog.get_logger(__name__)
MESSAGE_ID_DOMAIN = "otesaintjo.re"

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_TEMPLATES.filters["money"] = format_cents
_TEMPLATES.filters["carrier_label"] = labels.carrier_label
_TEMPLATES.filters["mode_label"] = labels.mode_label
_TEMPLATES.filters["status_label"] = labels.status_label


def local_datetime(value: datetime) -> str:
    """« 27/11/2026 à 10:30 » in La Réunion's time, whatever the server's zone."""
    return value.astimezone(REUNION).strftime("%d/%m/%Y à %H:%M")


_TEMPLATES.filters["local_datetime"] = local_datetime


def delivery_promise(order: Any) -> str | None:
    """« Livraison le mardi 8 décembre entre 14 h et 16 h » (a merchant's slot) or « Livraison
    estimée le … » (a carrier's day) for an order; None for a pickup."""
    return labels.delivery_promise(
        order.delivery_starts_at, order.delivery_ends_at, order.estimated_delivery_on
    )


_TEMPLATES.filters["delivery_promise"] = delivery_promise


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    to: str
    subject: str
    text: str
    html: str

    def as_payload(self) -> dict[str, str]:
        return {"to": self.to, "subject": self.subject, "text": self.text, "html": self.html}


def render_email(template: str, to: str, **context: Any) -> RenderedEmail:
    """Render ``<template>.txt`` (first line ``Sujet : …``) and ``<template>.html``."""
    text = _TEMPLATES.get_template(f"{template}.txt").render(**context)
    first_line, _, body = text.partition("\n")
    if not first_line.startswith("Sujet :"):
        raise ValueError(f"{template}.txt must start with 'Sujet : '")
    subject = first_line.removeprefix("Sujet :").strip()
    html = _TEMPLATES.get_template(f"{template}.html").render(subject=subject, **context)
    return RenderedEmail(to=to, subject=subject, text=body.lstrip("\n"), html=html)


def build_message(sender: str, email: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email["to"]
    message["Subject"] = email["subject"]
    # Chosen with the job (``outbox.queue_email``): the same on every attempt.
    message["Message-ID"] = email.get("message_id") or make_msgid(domain=MESSAGE_ID_DOMAIN)
    message.set_content(email["text"])
    message.add_alternative(email["html"], subtype="html")
    for attachment in email.get("attachments", []):
        maintype, _, subtype = attachment["mime"].partition("/")
        message.add_attachment(
            base64.b64decode(attachment["content"]),
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
        )
    return message


class Mailer(Protocol):
    """Sends one email or raises; the outbox worker retries on failure."""

    async def send(self, email: dict[str, str]) -> None: ...


class SmtpMailer:
    """SMTP through aiosmtplib. ``smtps://`` is implicit TLS; ``smtp://`` upgrades when offered."""

    def __init__(self, url: str, sender: str, timeout: float = 15) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("OTESAINTJO_SMTP_URL must look like smtp://user:pass@host:port")
        self.hostname = parts.hostname
        self.use_tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.use_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout = timeout
        self._local_hostname: str | None = None

    async def send(self, email: dict[str, str]) -> None:
        if self._local_hostname is None:
            # Our name in EHLO, looked up once in a thread: aiosmtplib would otherwise call
            # the blocking socket.getfqdn() on the event loop for every email.
            self._local_hostname = await asyncio.to_thread(socket.getfqdn)
        await aiosmtplib.send(
            build_message(self.sender, email),
            local_hostname=self._local_hostname,
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            timeout=self.timeout,
        )


class LogMailer:
    """Development sender: prints the email to the log instead of sending it."""

    def __init__(self, sender: str) -> None:
        self.sender = sender

    async def send(self, email: dict[str, str]) -> None:
        log.info(
            "email (not sent: no OTESAINTJO_SMTP_URL)",
            to=email["to"],
            subject=email["subject"],
            text=email["text"],
        )

"""Signed download links for invoices and credit notes: ``/invoices/<id>.pdf?token=…``.

A link names the invoice, the user it was made for and its expiry (15 minutes), signed with
the secret key: it works in a plain ``<a href>`` (no Authorization header), for that user
only, while they may still read the document.
"""

from __future__ import annotations

from datetime import datetime

from otesaintjo.security import read_signed_token, signed_token
from otesaintjo.settings import Settings

LINK_PURPOSE = "invoice-download"
LINK_SECONDS = 15 * 60


def download_url(settings: Settings, invoice_id: int, user_id: int, now: datetime) -> str:
    expires = int(now.timestamp()) + LINK_SECONDS
    token = signed_token(settings.secret_key, LINK_PURPOSE, f"{invoice_id}-{user_id}-{expires}")
    return f"{settings.public_url.rstrip('/')}/invoices/{invoice_id}.pdf?token={token}"


def linked_user_id(secret_key: str, token: str, invoice_id: int, now: datetime) -> int | None:
    """The user a still-valid link for this invoice was made for, else None."""
    value = read_signed_token(secret_key, LINK_PURPOSE, token)
    try:
        linked_invoice, user_id, expires = (int(part) for part in (value or "").split("-"))
    except ValueError:
        return None
    if linked_invoice != invoice_id or expires < now.timestamp():
        return None
    return user_id

"""Signed download links for data exports: ``/exports/<id>.json?token=…``.

Like the invoice links (``invoice_links.py``): a link names the export, the user it was made
for and its expiry, signed with the secret key, so it works in a plain ``<a href>`` from the
email. It lives 7 days (``LINK_DAYS``); the file is deleted when it runs out. The download
(``export_files.py``) also checks the export row: deleted with the account, it 404s.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from otesaintjo.security import read_signed_token, signed_token
from otesaintjo.settings import Settings

LINK_PURPOSE = "data-export-download"
# Long enough to find the email after a week away; short enough that a forgotten mailbox
# does not hold a live copy of everything for long. The file goes with the link.
LINK_DAYS = 7
LINK_LIFETIME = timedelta(days=LINK_DAYS)
EXPORTS_PATH = "/exports/"


def download_url(settings: Settings, export_id: int, user_id: int, expires_at: datetime) -> str:
    expires = int(expires_at.timestamp())
    token = signed_token(settings.secret_key, LINK_PURPOSE, f"{export_id}-{user_id}-{expires}")
    return f"{settings.public_url.rstrip('/')}{EXPORTS_PATH}{export_id}.json?token={token}"


def linked_user_id(secret_key: str, token: str, export_id: int, now: datetime) -> int | None:
    """The user a still-valid link for this export was made for, else None."""
    value = read_signed_token(secret_key, LINK_PURPOSE, token)
    try:
        linked_export, user_id, expires = (int(part) for part in (value or "").split("-"))
    except ValueError:
        return None
    if linked_export != export_id or expires < now.timestamp():
        return None
    return user_id

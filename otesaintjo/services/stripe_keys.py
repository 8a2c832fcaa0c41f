"""Idempotency keys for Stripe calls, derived from our own rows.

A key names the row *and* the instant it was created: ids restart when a development or test
database is recreated, while Stripe (and our Connect double) remember keys for 24 hours —
``order:1:transfer`` alone would hand a new order the transfer of an old one.
"""

from __future__ import annotations

from datetime import datetime


def stripe_key(kind: str, row_id: int | None, created_at: datetime, action: str) -> str:
    return f"{kind}:{row_id}:{created_at.strftime('%Y%m%d%H%M%S%f')}:{action}"

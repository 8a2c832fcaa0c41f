"""The withdrawal period: how long after receipt a customer may send goods back.

Today: 14 × 24 hours from the instant the order was delivered or collected.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from otesaintjo.models import Order, OrderStatus

WITHDRAWAL_DAYS = 14
RECEIVED_STATUSES = frozenset({OrderStatus.DELIVERED, OrderStatus.COLLECTED})


def withdrawal_deadline(order: Order) -> datetime | None:
    if order.received_at is None:
        return None
    return order.received_at + timedelta(days=WITHDRAWAL_DAYS)


def can_request(order: Order, now: datetime) -> bool:
    deadline = withdrawal_deadline(order)
    return order.status in RECEIVED_STATUSES and deadline is not None and now <= deadline

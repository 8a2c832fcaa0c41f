"""The withdrawal period: until when a customer may send goods back without a reason.

Code de la consommation L221-18 (14 days for goods, from receipt) and L221-19 with EU
Regulation 1182/71 (how a period is counted): the day of receipt does not count; the period
ends at the end of its 14th day, Réunion time; a last day that is a Saturday, a Sunday or a
public holiday of La Réunion moves to the end of the next working day.

A receipt on Thursday 3 December 2026 (Réunion time): days 1-14 run from Friday 4 to
Thursday 17 December, deadline Thursday 17 December 23:59:59. A receipt on Sunday 6 December:
the 14th day is Sunday 20 December (a Sunday, and the abolition of slavery in La Réunion), so
the deadline is Monday 21 December 23:59:59.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from otesaintjo.clock import REUNION
from otesaintjo.models import Order, OrderStatus
from otesaintjo.services.reunion_calendar import is_working_day

WITHDRAWAL_DAYS = 14
RECEIVED_STATUSES = frozenset({OrderStatus.DELIVERED, OrderStatus.COLLECTED})


def last_day(received_on: date) -> date:
    """The last day (Réunion calendar) a customer who received goods on ``received_on`` may
    withdraw: the 14th day after it, moved to the next working day if not a working day."""
    day = received_on + timedelta(days=WITHDRAWAL_DAYS)
    while not is_working_day(day):  # L221-19 and Regulation 1182/71, art. 3(4)
        day += timedelta(days=1)
    return day


def deadline_after(received_at: datetime) -> datetime:
    """The last instant of the period (UTC) for goods received at ``received_at``."""
    day = last_day(received_at.astimezone(REUNION).date())
    end_of_day = datetime.combine(day, time.max, tzinfo=REUNION)
    return end_of_day.astimezone(UTC)


def withdrawal_deadline(order: Order) -> datetime | None:
    if order.received_at is None:
        return None
    return deadline_after(order.received_at)


def can_request(order: Order, now: datetime) -> bool:
    deadline = withdrawal_deadline(order)
    return order.status in RECEIVED_STATUSES and deadline is not None and now <= deadline

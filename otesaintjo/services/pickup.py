"""When a click-and-collect order is ready: 2 hours of the shop's opening time after payment.

The FAQ promises the order "ready within 2 hours of confirmation" and the merchant prepares
it during the pickup hours: paid at 11:00 in a shop closing at 12:00 and reopening at 14:00,
it is ready at 15:00; paid while closed, 2 hours after the next opening. Exceptional closures
skip whole days. Everything is computed in Réunion time (UTC+4, no daylight saving).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from otesaintjo.clock import REUNION

PREPARATION = timedelta(hours=2)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HORIZON_DAYS = 60


def opening_ranges(
    day: date, pickup_hours: dict[str, Any], closed_days: set[str]
) -> list[tuple[datetime, datetime]]:
    if day.isoformat() in closed_days:
        return []
    return [
        (
            datetime.combine(day, time.fromisoformat(opens), REUNION),
            datetime.combine(day, time.fromisoformat(closes), REUNION),
        )
        for opens, closes in pickup_hours.get(WEEKDAYS[day.weekday()], [])
    ]


def ready_at(
    paid_at: datetime, pickup_hours: dict[str, Any], closures: list[dict[str, str]]
) -> datetime | None:
    """The instant the order can be collected, or None if the shop opens in no coming day."""
    local = paid_at.astimezone(REUNION)
    closed_days = {c["date"] for c in closures}
    needed = PREPARATION
    for offset in range(HORIZON_DAYS):
        day = local.date() + timedelta(days=offset)
        for opens, closes in opening_ranges(day, pickup_hours, closed_days):
            start = max(opens, local)
            if start >= closes:
                continue
            if start + needed <= closes:
                return start + needed
            needed -= closes - start
    return None

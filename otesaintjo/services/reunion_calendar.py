"""La Réunion's calendar: public holidays and working days, in Réunion time.

The ``holidays`` library's France/RE calendar has the island's own holiday (20 December,
abolition of slavery) besides the national ones. Support hours, delivery estimates and legal
deadlines all count days with these functions.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

MONDAY_TO_FRIDAY = range(0, 5)


@lru_cache(maxsize=16)
def _public_holidays(year: int) -> holidays.HolidayBase:
    return holidays.France(subdiv="RE", years=year)


def is_public_holiday(day: date) -> bool:
    return day in _public_holidays(day.year)


def is_working_day(day: date) -> bool:
    """Monday to Friday, except La Réunion's public holidays."""
    return day.weekday() in MONDAY_TO_FRIDAY and not is_public_holiday(day)


def add_working_days(start: date, count: int) -> date:
    """The ``count``-th working day after ``start`` (``start`` itself when count is 0 and it
    is a working day, else the next one)."""
    day = start
    while not is_working_day(day):
        day += timedelta(days=1)
    for _ in range(count):
        day += timedelta(days=1)
        while not is_working_day(day):
            day += timedelta(days=1)
    return day

"""The withdrawal deadline (L221-18, L221-19, Regulation 1182/71), at its boundaries."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from otesaintjo.clock import REUNION
from otesaintjo.services.withdrawal import deadline_after, last_day


@pytest.mark.parametrize(
    ("received_on", "last", "why"),
    [
        (date(2026, 12, 3), date(2026, 12, 17), "Thursday: the 14th day is a Thursday"),
        (date(2026, 12, 6), date(2026, 12, 21), "20 December: Sunday and the island's holiday"),
        (date(2026, 12, 18), date(2027, 1, 4), "Friday: the 14th day is 1 January, then a weekend"),
        (date(2027, 4, 22), date(2027, 5, 7), "the 14th day is Ascension Thursday"),
        (date(2026, 11, 21), date(2026, 12, 7), "Saturday: the 14th day is a Saturday"),
    ],
)
def test_the_last_day(received_on: date, last: date, why: str) -> None:
    assert last_day(received_on) == last, why


def test_the_day_of_receipt_is_the_reunion_day() -> None:
    # Wednesday 2 December 21:30 UTC is Thursday 3 December 01:30 in La Réunion.
    late_evening_utc = datetime(2026, 12, 2, 21, 30, tzinfo=UTC)
    deadline = deadline_after(late_evening_utc).astimezone(REUNION)
    assert (deadline.date(), deadline.hour, deadline.minute, deadline.second) == (
        date(2026, 12, 17),
        23,
        59,
        59,
    )

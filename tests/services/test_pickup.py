"""Click and collect: ready 2 hours of opening time after payment, in Réunion time."""

from __future__ import annotations

from datetime import datetime

import pytest

from otesaintjo.clock import REUNION
from otesaintjo.services.pickup import ready_at

HOURS = {
    "mon": [["06:00", "12:00"], ["14:00", "18:00"]],
    "tue": [["06:00", "12:00"], ["14:00", "18:00"]],
    "sat": [["07:00", "12:00"]],
}


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=REUNION)  # 2026-11-23 is a Monday


@pytest.mark.parametrize(
    ("paid", "ready"),
    [
        (local(23, 8), local(23, 10)),  # open: 2 hours later
        (local(23, 11), local(23, 15)),  # 1 h before lunch, 1 h after
        (local(23, 12, 30), local(23, 16)),  # paid during lunch: 2 h after reopening
        (local(23, 20), local(24, 8)),  # paid in the evening: next morning
        (local(24, 17), local(28, 8)),  # Tuesday 17:00 → 1 h left, then Saturday 07:00 + 1 h
    ],
)
def test_ready_time(paid: datetime, ready: datetime) -> None:
    assert ready_at(paid, HOURS, []) == ready


def test_exceptional_closures_are_skipped() -> None:
    closures = [{"date": "2026-11-24", "reason": "Inventaire"}]
    assert ready_at(local(23, 20), HOURS, closures) == local(28, 9)


def test_no_hours_means_no_pickup() -> None:
    assert ready_at(local(23, 8), {}, []) is None

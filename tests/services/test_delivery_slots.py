"""The rules of delivery slots and carriers' days, without GraphQL: working days of La Réunion,
cut-offs, holidays, closures, and the French wording of a slot."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from otesaintjo import labels
from otesaintjo.clock import REUNION
from otesaintjo.models import DeliverySlot
from otesaintjo.services.delivery_slots import estimated_delivery_date, occurrences


def at(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=REUNION)


@pytest.mark.parametrize(
    ("carrier", "now", "expected"),
    [
        ("STUART", at("2026-12-07", 13, 59), date(2026, 12, 7)),  # Monday before 14:00
        ("STUART", at("2026-12-07", 14, 0), date(2026, 12, 8)),  # at 14:00: the next day
        ("STUART", at("2026-12-19", 10), date(2026, 12, 21)),  # Saturday: Monday
        ("STUART", at("2026-12-24", 15), date(2026, 12, 28)),  # Christmas, weekend: Monday
        ("LA_POSTE", at("2026-12-07", 9), date(2026, 12, 9)),  # D+2 working days
        ("LA_POSTE", at("2026-12-23", 9), date(2026, 12, 28)),  # over Christmas (Friday)
        ("COLISSIMO", at("2026-12-07", 9), date(2026, 12, 14)),  # D+5 working days
        ("COLISSIMO", at("2026-12-18", 15), date(2026, 12, 28)),  # skips the 25th
        ("MERCHANT", at("2026-12-11", 9), date(2026, 12, 14)),  # Friday: D+1 is Monday
    ],
)
def test_each_carrier_promises_a_working_day(carrier: str, now: datetime, expected: date) -> None:
    assert estimated_delivery_date(carrier, now) == expected


def slot(weekday: str, starts: str, ends: str, cutoff: int = 0, capacity: int = 2, id: int = 1):
    return DeliverySlot(
        id=id,
        shop_id=1,
        weekday=weekday,
        starts=starts,
        ends=ends,
        capacity=capacity,
        cutoff_hours=cutoff,
    )


def test_occurrences_skip_holidays_closures_and_past_cut_offs() -> None:
    sunday = slot("sun", "09:00", "11:00", id=1)
    monday = slot("mon", "10:00", "12:00", cutoff=2, id=2)
    tuesday = slot("tue", "14:00", "16:00", cutoff=24, capacity=2, id=3)
    found = occurrences(
        [sunday, monday, tuesday],
        booked={(3, date(2026, 12, 8)): 2},  # Tuesday the 8th is full
        closures=[{"date": "2026-12-15", "reason": "Inventaire"}],
        now=at("2026-12-07", 9),
        days=14,
    )
    assert [(o.slot.id, o.day.isoformat(), o.remaining) for o in found] == [
        (3, "2026-12-08", 0),  # kept, full: the cart hides it, checkout names it
        (1, "2026-12-13", 2),
        (2, "2026-12-14", 2),
        # 7th: Monday past its cut-off (10:00 − 2 h); 15th: closed; 20th: public holiday.
    ]
    assert found[0].full and found[0].starts_at == at("2026-12-08", 14)
    # Exactly at the cut-off it is closed.
    assert [o.day for o in occurrences([monday], {}, [], at("2026-12-07", 8), 1)] == []
    assert [o.day for o in occurrences([monday], {}, [], at("2026-12-07", 7, 59), 1)] == [
        date(2026, 12, 7)
    ]


def test_the_words_of_a_slot() -> None:
    assert (
        labels.delivery_promise(at("2026-12-08", 14), at("2026-12-08", 16, 30), None)
        == "Livraison le mardi 8 décembre entre 14 h et 16 h 30"
    )
    assert (
        labels.delivery_promise(None, None, date(2027, 1, 1))
        == "Livraison estimée le vendredi 1er janvier"
    )
    assert labels.delivery_promise(None, None, None) is None

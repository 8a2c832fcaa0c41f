"""The reference price rule (L112-1-1) on its own: the edges of the 30 days and of a run of
successive reductions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from otesaintjo.services.reference_prices import (
    Reduction,
    announced,
    reduction_start,
    reference_price,
)

START = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 08:00 in La Réunion
DAY = timedelta(days=1)


def cut(starts: datetime, until: datetime, percent: int, products=None) -> Reduction:
    return Reduction(starts, until, "PERCENT", percent * 100, products)


def test_the_price_in_force_when_the_30_days_open_counts() -> None:
    history = [(START - 45 * DAY, 800), (START - 20 * DAY, 1000)]
    assert reference_price(history, [], START, perishable=False) == 800
    # Replaced exactly as the 30 days open: it was never charged during them.
    history = [(START - 45 * DAY, 800), (START - 30 * DAY, 1000)]
    assert reference_price(history, [], START, perishable=False) == 1000


def test_a_price_set_at_the_instant_the_reduction_begins_is_not_before_it() -> None:
    history = [(START - 10 * DAY, 1000), (START, 500)]
    assert reference_price(history, [], START, perishable=False) == 1000
    assert reference_price([(START, 500)], [], START, perishable=False) is None
    assert reference_price([(START, 500)], [], START, perishable=True) is None


def test_past_promotions_count_only_over_the_30_days() -> None:
    history = [(START - 90 * DAY, 1000)]
    ended_as_they_open = cut(START - 40 * DAY, START - 30 * DAY, 50)
    inside = cut(START - 31 * DAY, START - 29 * DAY, 20)
    assert reference_price(history, [ended_as_they_open], START, perishable=False) == 1000
    assert reference_price(history, [ended_as_they_open, inside], START, perishable=False) == 800
    # A promotion that ran over two prices lowered both; the lowest of them counts.
    history = [(START - 90 * DAY, 1000), (START - 10 * DAY, 1200)]
    across = cut(START - 15 * DAY, START - 5 * DAY, 10)
    assert reference_price(history, [across], START, perishable=False) == 900
    # Perishables: none of it, the price just before.
    assert reference_price(history, [across, inside], START, perishable=True) == 1200


def test_a_run_of_reductions_begins_with_its_first() -> None:
    first = cut(START, START + 7 * DAY, 10)
    second = cut(START + 7 * DAY, START + 9 * DAY, 30)  # begins as the first ends
    overlapping = cut(START + 8 * DAY, START + 20 * DAY, 40)
    later = cut(START + 21 * DAY, START + 30 * DAY, 20)  # a day without reduction before
    reductions = [first, second, overlapping, later]
    assert reduction_start(reductions, START - DAY) is None
    assert reduction_start(reductions, START + DAY) == START
    assert reduction_start(reductions, START + 8 * DAY) == START
    assert reduction_start(reductions, START + 15 * DAY) == START
    assert reduction_start(reductions, START + 20 * DAY + DAY / 2) is None
    assert reduction_start(reductions, START + 22 * DAY) == START + 21 * DAY
    assert reduction_start(reductions, START + 30 * DAY) is None  # the end is not part of it


def test_only_a_higher_reference_is_crossed_out() -> None:
    assert announced(1000, 900) == 1000
    assert announced(900, 900) is None
    assert announced(800, 900) is None
    assert announced(None, 900) is None

"""Cart amounts: integer cents, sums that always add up, VAT without rounding drift."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from otesaintjo.services.cart_totals import (
    CartTotals,
    Line,
    delivery_fee,
    shop_totals,
    vat_included,
)

lines = st.lists(
    st.builds(
        Line,
        product_id=st.integers(1, 10_000),
        shop_id=st.just(1),
        unit_cents=st.integers(0, 500_000),
        quantity=st.integers(1, 100),
        vat_bp=st.sampled_from([850, 210, 105]),
    ),
    max_size=100,
)


@given(lines, st.integers(0, 5_000))
def test_sums_add_up(shop_lines: list[Line], fee: int) -> None:
    result = shop_totals(1, shop_lines, fee)
    assert result.subtotal_cents == sum(line.unit_cents * line.quantity for line in shop_lines)
    assert result.total_cents == result.subtotal_cents + fee
    assert 0 <= sum(result.vat_cents.values()) <= result.total_cents
    cart = CartTotals([result, shop_totals(2, shop_lines, 0)])
    assert cart.total_cents == result.total_cents + result.subtotal_cents


@given(st.integers(0, 10**9), st.sampled_from([850, 210, 105]))
def test_vat_matches_decimal_half_up(amount: int, rate: int) -> None:
    exact = Decimal(amount) * rate / (10000 + rate)
    assert vat_included(amount, rate) == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_vat_is_per_rate_and_includes_the_delivery_fee_at_the_normal_rate() -> None:
    result = shop_totals(1, [Line(1, 1, 1085, 2, 850), Line(2, 1, 1021, 1, 210)], fee_cents=350)
    assert result.vat_cents == {210: 21, 850: 197}  # 2170+350 at 8.5 % → 197; 1021 at 2.1 % → 21
    assert result.total_cents == 3541


def test_free_delivery() -> None:
    assert delivery_fee(350, 3999, False, 4000) == 350
    assert delivery_fee(350, 4000, False, 4000) == 0
    assert delivery_fee(350, 10, True, None) == 0

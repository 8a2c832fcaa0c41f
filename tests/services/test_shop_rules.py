"""Shop detail checks without GraphQL."""

from __future__ import annotations

import pytest

from otesaintjo.errors import DomainError
from otesaintjo.services import shop_rules as rules
from otesaintjo.services.shops import website_is_public


@pytest.mark.parametrize(
    "siret", ["73282932000074", "732 829 320 00074", "35600000000001", "35600000049837"]
)
def test_valid_sirets(siret: str) -> None:
    assert len(rules.check_siret(siret, ["siret"])) == 14


@pytest.mark.parametrize(
    "siret", ["73282932000075", "7328293200007", "7328293200007a", "35600000000002", ""]
)
def test_invalid_sirets(siret: str) -> None:
    with pytest.raises(DomainError) as refused:
        rules.check_siret(siret, ["siret"])
    assert refused.value.code == "INVALID_SIRET"


def test_website_rule_at_1_and_2_products() -> None:
    assert website_is_public(1) is False
    assert website_is_public(2) is True


def test_pickup_hours_are_sorted_and_checked() -> None:
    week = rules.check_pickup_hours(
        [("sat", "13:00", "17:00"), ("sat", "06:00", "12:00")], ["pickupHours"]
    )
    assert week["sat"] == [["06:00", "12:00"], ["13:00", "17:00"]]
    assert week["sun"] == []
    for bad in (
        [("sat", "12:00", "12:00")],
        [("xyz", "06:00", "12:00")],
        [("mon", "24:00", "25:00")],
    ):
        with pytest.raises(DomainError):
            rules.check_pickup_hours(bad, ["pickupHours"])


def test_slugs_are_ascii() -> None:
    assert rules.slugify("Épicerie du Marché — Saint-Joseph") == "epicerie-du-marche-saint-joseph"
    assert rules.slugify("!!!") == "boutique"

"""The L221-28 exclusions without GraphQL: the category defaults, what a return may hold."""

from __future__ import annotations

import pytest

from otesaintjo import labels
from otesaintjo.errors import DomainError
from otesaintjo.models import WithdrawalExclusion as E
from otesaintjo.services.withdrawal_exclusions import (
    BY_CATEGORY,
    check_exclusion,
    default_exclusion,
    may_come_back,
    resolve,
)


@pytest.mark.parametrize(
    ("product_category", "shop_categories", "expected"),
    [
        ("divers", ["boulangerie"], E.PERISHABLE),
        ("divers", ["patisserie", "salon-de-the"], E.PERISHABLE),
        ("divers", ["boucherie"], E.PERISHABLE),
        ("divers", ["charcuterie"], E.PERISHABLE),
        ("divers", ["poissonnerie"], E.PERISHABLE),
        ("divers", ["primeur"], E.PERISHABLE),
        ("divers", ["fruits-et-legumes"], E.PERISHABLE),
        ("divers", ["fleuriste"], E.PERISHABLE),
        ("divers", ["traiteur"], E.PERISHABLE),
        ("divers", ["presse"], E.PRESS),
        ("divers", ["journaux"], E.PRESS),
        ("divers", ["librairie-presse"], E.PRESS),
        ("divers", ["presse", "boulangerie"], E.PERISHABLE),  # perishable first
        ("fruits-legumes", ["epicerie"], E.PERISHABLE),  # the product's own category first
        ("presse", ["librairie"], E.PRESS),
        ("presse", ["boulangerie"], E.PRESS),
        ("livres", ["librairie"], None),
        ("epicerie-salee", ["epicerie"], None),
        ("divers", [], None),
    ],
)
def test_default_by_category(product_category, shop_categories, expected) -> None:
    assert default_exclusion(product_category, shop_categories) == expected


def test_given_values_win_over_the_default() -> None:
    assert resolve(BY_CATEGORY, "pains", ["boulangerie"]) == E.PERISHABLE
    assert resolve(None, "pains", ["boulangerie"]) is None
    assert resolve(E.CUSTOM_MADE, "divers", ["epicerie"]) == E.CUSTOM_MADE
    assert check_exclusion(None, ["f"]) is None and check_exclusion(E.PRESS, ["f"]) == E.PRESS
    with pytest.raises(DomainError):
        check_exclusion("FRAGILE", ["withdrawalExclusion"])


def test_what_a_return_may_hold_and_what_the_customer_reads() -> None:
    assert may_come_back(None)
    assert not any(may_come_back(e) for e in (E.PERISHABLE, E.PRESS, E.CUSTOM_MADE))
    assert may_come_back(E.SEALED_HYGIENE) and may_come_back(E.SEALED_RECORDING)  # sealed
    assert set(labels.WITHDRAWAL_EXCLUSIONS) == set(E.ALL)
    assert labels.withdrawal_short(E.PERISHABLE) == "non retournable : denrée périssable"
    assert labels.withdrawal_notice(None) is None

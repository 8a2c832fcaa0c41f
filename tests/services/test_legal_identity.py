"""The seller's legal identity and goods leaving La Réunion, as rules (no GraphQL):
CGI art. 242 nonies A (what an invoice names), 293 B (franchise), 262 I (export)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pypdf
import pytest
from stdnum.fr import tva

from otesaintjo.errors import DomainError, DomainErrors
from otesaintjo.models import Invoice, InvoiceKind, Shop
from otesaintjo.services import cart_totals, invoices, legal_identity
from otesaintjo.services.legal_identity import IdentityChanges

SIRET = "73282932000074"


def shop(**identity) -> Shop:
    return Shop(
        slug="s",
        name="Boulangerie du Centre",
        order_code="CEN",
        manager_first_name="Jean",
        manager_last_name="Payet",
        street="12 rue Raphaël Babet",
        postcode="97480",
        town="Saint-Joseph",
        email="b@example.re",
        phone="+262692112233",
        siret=SIRET,
        **identity,
    )


def complete_company(**overrides) -> Shop:
    """A SARL whose invoices can be issued (``overrides`` change any field)."""
    identity = {
        "legal_name": "Boulangerie Payet",
        "legal_form": "SARL",
        "registration": "RCS",
        "registration_city": "Saint-Pierre",
        "vat_number": "FR44732829320",
        "share_capital_cents": 750_000,
        **overrides,
    }
    return shop(**identity)


def test_the_vat_number_is_the_sirens_and_checked_by_stdnum() -> None:
    assert legal_identity.vat_number_for("732829320") == "FR44732829320"
    assert tva.is_valid(legal_identity.vat_number_for("732829320"))
    assert legal_identity.check_vat_number(" fr 44 732 829 320 ", SIRET, []) == "FR44732829320"
    assert legal_identity.check_vat_number("", SIRET, []) is None  # removes it
    with pytest.raises(DomainError) as bad:
        legal_identity.check_vat_number("FR45732829320", SIRET, ["vatNumber"])
    assert bad.value.code == "INVALID_VAT_NUMBER" and bad.value.field == ["vatNumber"]
    with pytest.raises(DomainError) as other:
        legal_identity.check_vat_number(legal_identity.vat_number_for("532794302"), SIRET, [])
    assert other.value.code == "VAT_NUMBER_MISMATCH"


def test_what_an_invoice_still_lacks() -> None:
    empty = shop()
    assert legal_identity.missing_fields(empty) == [
        "LEGAL_NAME",
        "LEGAL_FORM",
        "REGISTRATION",
        "VAT_NUMBER",
    ]
    company = complete_company(share_capital_cents=None)
    assert legal_identity.missing_fields(company) == ["SHARE_CAPITAL"]  # R123-237 2°
    company.share_capital_cents = 750_000
    assert legal_identity.missing_fields(company) == []
    assert legal_identity.registration_text(company) == "RCS Saint-Pierre 732 829 320"
    # Under the franchise (art. 293 B), no VAT number is needed.
    micro = shop(legal_name="Jean Payet", legal_form="EI", registration="NONE", vat_franchise=True)
    assert legal_identity.missing_fields(micro) == []
    assert legal_identity.registration_text(micro) == legal_identity.NOT_REGISTERED
    craft = shop(legal_name="Jean Payet", legal_form="EI", registration="RM", vat_franchise=True)
    assert legal_identity.registration_text(craft) == "RM 974 732 829 320"
    # An RCS without its court's city is not a registration yet.
    assert legal_identity.missing_fields(shop(registration="RCS"))[2] == "REGISTRATION"


def test_registrations_must_fit_the_legal_form() -> None:
    with pytest.raises(DomainError) as no_city:
        legal_identity.checked_values(None, SIRET, IdentityChanges(registration="RCS"))
    assert no_city.value.code == "INVALID_REGISTRATION"
    with pytest.raises(DomainError) as company:
        legal_identity.checked_values(
            None, SIRET, IdentityChanges(legal_form="SASU", registration="NONE")
        )
    assert company.value.code == "INVALID_REGISTRATION"
    values = legal_identity.checked_values(
        None, SIRET, IdentityChanges(legal_form="ASSOCIATION", registration="NONE")
    )
    assert values["registration"] == "NONE" and values["registration_city"] is None
    with pytest.raises(DomainErrors) as several:
        legal_identity.checked_values(
            None, SIRET, IdentityChanges(legal_name="", legal_form="GIE", vat_number="FR1")
        )
    assert [e.code for e in several.value.errors] == [
        "INVALID_INPUT",
        "INVALID_INPUT",
        "INVALID_VAT_NUMBER",
    ]
    # Complete, it may be corrected, never made incomplete again.
    complete = shop(legal_name="Jean Payet", legal_form="EI", registration="RM", vat_franchise=True)
    assert legal_identity.checked_values(complete, SIRET, IdentityChanges(legal_name="J. Payet"))
    with pytest.raises(DomainError) as undone:
        legal_identity.checked_values(complete, SIRET, IdentityChanges(vat_franchise=False))
    assert undone.value.code == "INVALID_INPUT"
    assert undone.value.field == ["legalIdentity", "vatNumber"]
    # Becoming a company, it must give its capital in the same change.
    with pytest.raises(DomainError) as no_capital:
        legal_identity.checked_values(
            complete, SIRET, IdentityChanges(legal_form="SARL", registration_city="Saint-Pierre")
        )
    assert no_capital.value.field == ["legalIdentity", "shareCapitalCents"]
    assert "le capital social" in no_capital.value.message


def test_a_company_states_its_share_capital_an_individual_has_none() -> None:
    """Code de commerce R123-237 2°: a commercial company's invoices give its capital."""
    values = legal_identity.checked_values(
        None, SIRET, IdentityChanges(legal_form="SAS", share_capital_cents=100)
    )
    assert values["share_capital_cents"] == 100  # 1 €: a SAS may have that little
    sas = shop(legal_form="SAS", share_capital_cents=1_000_000)
    assert legal_identity.share_capital_text(sas) == "au capital de 10 000,00 €"
    assert legal_identity.seller(sas)["share_capital"] == "au capital de 10 000,00 €"
    # An individual entrepreneur or an association has no capital: dropped, never printed.
    for form in ("EI", "ASSOCIATION"):
        values = legal_identity.checked_values(
            None, SIRET, IdentityChanges(legal_form=form, share_capital_cents=500_000)
        )
        assert values["share_capital_cents"] is None
        assert legal_identity.share_capital_text(shop(legal_form=form)) is None
    for wrong in (0, -100, 10**15):
        with pytest.raises(DomainError) as refused:
            legal_identity.checked_values(
                None, SIRET, IdentityChanges(legal_form="SARL", share_capital_cents=wrong)
            )
        assert refused.value.code == "INVALID_INPUT"
        assert refused.value.field == ["legalIdentity", "shareCapitalCents"]
    # A company changing its form keeps its capital; becoming an EI, it has none.
    complete = complete_company()
    kept = legal_identity.checked_values(complete, SIRET, IdentityChanges(legal_form="SAS"))
    assert kept["share_capital_cents"] == 750_000
    changed = legal_identity.checked_values(
        complete, SIRET, IdentityChanges(legal_form="EI", registration="NONE")
    )
    assert changed["share_capital_cents"] is None


def test_leaving_la_reunion_and_the_price_without_vat() -> None:
    assert not cart_totals.leaves_reunion("97480")
    assert not cart_totals.leaves_reunion(None)
    for postcode in ("75001", "97200", "97600", "98000"):  # Paris, Martinique, Mayotte, Monaco
        assert cart_totals.leaves_reunion(postcode)
    # Half up, to the cent: 29,90 € at 8,5 % → 27,5576… → 27,56 €; 1,09 € → 1,0046… → 1,00 €.
    assert cart_totals.without_vat(2990, 850) == 2756
    assert cart_totals.without_vat(109, 850) == 100
    assert cart_totals.without_vat(1250, 210) == 1224
    assert cart_totals.without_vat(1085, 850) == 1000
    assert cart_totals.without_vat(0, 850) == 0
    line = cart_totals.Line(product_id=1, shop_id=1, unit_cents=2756, quantity=2, vat_bp=850)
    exported = cart_totals.shop_totals(1, [line], 1382, vat_charged=False, outside_reunion=True)
    assert (exported.vat_cents, exported.total_cents, exported.outside_reunion) == ({}, 6894, True)


def test_a_held_invoice_tells_the_day_of_the_sale() -> None:
    """Issued after the identity came, the invoice gives the sale's date too (art. 242
    nonies A: the date of the delivery when it differs from the invoice's)."""
    company = complete_company()
    document = Invoice(
        shop_id=1,
        number=1,
        kind=InvoiceKind.INVOICE,
        order_id=1,
        issued_at=datetime(2026, 12, 3, 8, tzinfo=UTC),
        snapshot={
            "number": "F-1-000001",
            "order_id": 1,
            "order_number": "CEN-0001",
            "seller": legal_identity.seller(company),
            "customer": {"name": "Léa Técher", "address": None},
            "vat_regime": invoices.VatRegime.STANDARD,
            "sale_date": datetime(2026, 11, 30, 21, tzinfo=UTC).isoformat(),  # 1 Dec in Réunion
            "lines": [invoices.line("Pain", 2, 250, 850, 1)],
            **invoices.totals([invoices.line("Pain", 2, 250, 850, 1)]),
            "mentions": ["Facture émise par Otesaintjo au nom et pour le compte de X."],
        },
    )
    reader = pypdf.PdfReader(io.BytesIO(invoices.render_pdf(document)))
    text = reader.pages[0].extract_text()
    assert "Date : 03/12/2026 - Commande CEN-0001 - Vente du 01/12/2026" in text
    assert "Vendeur : Boulangerie Payet, SARL au capital de 7 500,00 €" in text

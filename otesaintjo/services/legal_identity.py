"""The seller's legal identity: what an invoice must say about who sells (CGI art. 242 nonies A).

A shop may open without it (onboarding stays under 5 minutes); it is needed before its first
invoice: the legal name (not the shop's display name), the legal form, the registration (RCS at
a city's court, RM for craftspeople, or none for some micro-entrepreneurs and associations),
the VAT number — or, for a merchant under the VAT franchise (art. 293 B), no VAT number and
no VAT —, and for a commercial company its share capital (Code de commerce R123-237 2°).
``missing_fields`` says what is still lacking; ``services/held_invoices.py`` holds the invoices
while anything is.

The VAT number is checked with python-stdnum (``stdnum.fr.tva``: FR, a 2-character key, then
the SIREN) and must carry the SIREN of the shop's SIRET. Pure rules: no database here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stdnum.exceptions import ValidationError
from stdnum.fr import tva

from otesaintjo.errors import DomainError, ErrorCode, FieldChecks
from otesaintjo.models import LegalForm, Registration, Shop
from otesaintjo.money import euros
from otesaintjo.services.validation import clean_text

FIELD = "legalIdentity"
LEGAL_FORM_LABELS: dict[str, str] = {
    LegalForm.EI: "Entrepreneur individuel (EI)",
    LegalForm.EURL: "EURL",
    LegalForm.SARL: "SARL",
    LegalForm.SAS: "SAS",
    LegalForm.SASU: "SASU",
    LegalForm.SA: "SA",
    LegalForm.SNC: "SNC",
    LegalForm.SCOP: "SCOP",
    LegalForm.ASSOCIATION: "Association loi 1901",
}
# Commercial companies are registered at the RCS (Code de commerce L123-1), artisanal ones
# at the RM too: « none » is for individual entrepreneurs and associations only.
MUST_REGISTER = frozenset(
    {
        LegalForm.EURL,
        LegalForm.SARL,
        LegalForm.SAS,
        LegalForm.SASU,
        LegalForm.SA,
        LegalForm.SNC,
        LegalForm.SCOP,
    }
)
# Commercial companies state their share capital on invoices and letters (R123-237 2°).
HAS_SHARE_CAPITAL = MUST_REGISTER
MAX_SHARE_CAPITAL_CENTS = 10**14  # a trillion euros: beyond, a typing mistake
FRANCHISE_MENTION = "TVA non applicable, art. 293 B du CGI"
NOT_REGISTERED = "Dispensé d'immatriculation au RCS et au RM"


class MissingField:
    """What an invoice still lacks (``missing_fields``)."""

    LEGAL_NAME = "LEGAL_NAME"
    LEGAL_FORM = "LEGAL_FORM"
    REGISTRATION = "REGISTRATION"
    VAT_NUMBER = "VAT_NUMBER"
    SHARE_CAPITAL = "SHARE_CAPITAL"


MISSING_LABELS: dict[str, str] = {
    MissingField.LEGAL_NAME: "la dénomination ou le nom légal",
    MissingField.LEGAL_FORM: "la forme juridique",
    MissingField.REGISTRATION: "l'immatriculation (RCS et sa ville, RM, ou aucune)",
    MissingField.VAT_NUMBER: "le numéro de TVA intracommunautaire (ou la franchise en base de TVA)",
    MissingField.SHARE_CAPITAL: "le capital social (société commerciale)",
}
INPUT_OF: dict[str, str] = {  # the input field that gives each
    MissingField.LEGAL_NAME: "legalName",
    MissingField.LEGAL_FORM: "legalForm",
    MissingField.REGISTRATION: "registration",
    MissingField.VAT_NUMBER: "vatNumber",
    MissingField.SHARE_CAPITAL: "shareCapitalCents",
}


@dataclass(frozen=True)
class IdentityChanges:
    """What the merchant gives; None leaves a field as it is, an empty VAT number removes it."""

    legal_name: str | None = None
    legal_form: str | None = None
    registration: str | None = None
    registration_city: str | None = None
    vat_number: str | None = None
    vat_franchise: bool | None = None
    share_capital_cents: int | None = None

    def is_empty(self) -> bool:
        return all(value is None for value in self.__dict__.values())


def siren_of(siret: str) -> str:
    return siret[:9]


def vat_number_for(siren: str) -> str:
    """The French VAT number of a SIREN (key = (12 + 3 × (SIREN mod 97)) mod 97)."""
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def check_vat_number(value: str, siret: str, field: list[str]) -> str | None:
    """``FRkkSIREN`` (spaces and case forgiven), whose SIREN is the shop's; "" removes it."""
    if not value.strip():
        return None
    try:
        compact = tva.validate(value)
    except ValidationError as exc:
        raise DomainError(
            ErrorCode.INVALID_VAT_NUMBER,
            "Numéro de TVA invalide : FR, une clé de 2 caractères et le SIREN (9 chiffres).",
            field,
        ) from exc
    if compact[-9:] != siren_of(siret):
        raise DomainError(
            ErrorCode.VAT_NUMBER_MISMATCH,
            f"Ce numéro de TVA n'est pas celui du SIREN {siren_of(siret)} (le SIRET de la"
            " boutique).",
            field,
        )
    return f"FR{compact}"


def _share_capital(cents: int, field: list[str]) -> int:
    if not 1 <= cents <= MAX_SHARE_CAPITAL_CENTS:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "Le capital social se donne en centimes, d'un centime à mille milliards d'euros.",
            field,
        )
    return cents


def _choice(value: str, allowed: dict[str, Any] | frozenset[str], field: list[str]) -> str:
    if value not in allowed:
        raise DomainError(ErrorCode.INVALID_INPUT, "Valeur inconnue.", field)
    return value


def checked_values(shop: Shop | None, siret: str, changes: IdentityChanges) -> dict[str, Any]:
    """The shop's identity columns after ``changes`` (every bad field reported at once), or
    a refusal. ``shop`` is None at creation."""
    checks = FieldChecks()
    values: dict[str, Any] = {
        "legal_name": shop.legal_name if shop else None,
        "legal_form": shop.legal_form if shop else None,
        "registration": shop.registration if shop else None,
        "registration_city": shop.registration_city if shop else None,
        "vat_number": shop.vat_number if shop else None,
        "vat_franchise": shop.vat_franchise if shop else False,
        "share_capital_cents": shop.share_capital_cents if shop else None,
    }
    if changes.legal_name is not None:
        values["legal_name"] = checks.check(
            clean_text, changes.legal_name, [FIELD, "legalName"], max_length=200
        )
    if changes.legal_form is not None:
        values["legal_form"] = checks.check(
            _choice, changes.legal_form, LEGAL_FORM_LABELS, [FIELD, "legalForm"]
        )
    if changes.registration is not None:
        values["registration"] = checks.check(
            _choice,
            changes.registration,
            frozenset({Registration.RCS, Registration.RM, Registration.NONE}),
            [FIELD, "registration"],
        )
    if changes.registration_city is not None:
        values["registration_city"] = (
            checks.check(
                clean_text, changes.registration_city, [FIELD, "registrationCity"], max_length=100
            )
            or None
        )
    if changes.vat_number is not None:
        values["vat_number"] = checks.check(
            check_vat_number, changes.vat_number, siret, [FIELD, "vatNumber"]
        )
    if changes.vat_franchise is not None:
        values["vat_franchise"] = changes.vat_franchise
    if changes.share_capital_cents is not None:
        values["share_capital_cents"] = checks.check(
            _share_capital, changes.share_capital_cents, [FIELD, "shareCapitalCents"]
        )
    checks.raise_if_any()
    if values["legal_form"] not in HAS_SHARE_CAPITAL:
        values["share_capital_cents"] = None  # an individual entrepreneur has no capital
    if values["registration"] != Registration.RCS:
        values["registration_city"] = None  # the city names an RCS court only
    elif not values["registration_city"]:
        raise DomainError(
            ErrorCode.INVALID_REGISTRATION,
            "Une immatriculation au RCS se donne avec la ville de son greffe (ex. Saint-Pierre).",
            [FIELD, "registrationCity"],
        )
    if values["registration"] == Registration.NONE and values["legal_form"] in MUST_REGISTER:
        raise DomainError(
            ErrorCode.INVALID_REGISTRATION,
            f"Une {LEGAL_FORM_LABELS[values['legal_form']]} est immatriculée au RCS (ou au RM).",
            [FIELD, "registration"],
        )
    lacking = missing_of(values)
    if shop is not None and not missing_fields(shop) and lacking:
        # Invoices were issued with it: it may be corrected, never left incomplete again.
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "L'identité légale est complète : corrigez-la, sans retirer ce qu'une facture doit"
            f" porter ({MISSING_LABELS[lacking[0]]}).",
            [FIELD, INPUT_OF[lacking[0]]],
        )
    return values


def missing_fields(shop: Shop) -> list[str]:
    """What the shop's invoices still lack; empty: invoices can be issued."""
    return missing_of({name: getattr(shop, name) for name in COLUMNS})


COLUMNS = (
    "legal_name",
    "legal_form",
    "registration",
    "registration_city",
    "vat_number",
    "vat_franchise",
    "share_capital_cents",
)


def missing_of(values: dict[str, Any]) -> list[str]:
    missing = []
    if not values["legal_name"]:
        missing.append(MissingField.LEGAL_NAME)
    if not values["legal_form"]:
        missing.append(MissingField.LEGAL_FORM)
    if not values["registration"] or (
        values["registration"] == Registration.RCS and not values["registration_city"]
    ):
        missing.append(MissingField.REGISTRATION)
    if not values["vat_franchise"] and not values["vat_number"]:
        missing.append(MissingField.VAT_NUMBER)
    if values["legal_form"] in HAS_SHARE_CAPITAL and not values["share_capital_cents"]:
        missing.append(MissingField.SHARE_CAPITAL)
    return missing


def share_capital_text(shop: Shop) -> str | None:
    """« au capital de 7 500,00 € » for a company, else None."""
    if shop.legal_form not in HAS_SHARE_CAPITAL or not shop.share_capital_cents:
        return None
    return f"au capital de {euros(shop.share_capital_cents)}"


def spaced_siren(siren: str) -> str:
    return f"{siren[:3]} {siren[3:6]} {siren[6:]}"


def registration_text(shop: Shop) -> str | None:
    """« RCS Saint-Pierre 732 829 320 », « RM 974 732 829 320 », or the dispensation."""
    siren = spaced_siren(siren_of(shop.siret))
    if shop.registration == Registration.RCS and shop.registration_city:
        return f"RCS {shop.registration_city} {siren}"
    if shop.registration == Registration.RM:
        return f"RM {shop.postcode[:3]} {siren}"  # the chamber of trades of the department
    if shop.registration == Registration.NONE:
        return NOT_REGISTERED
    return None


def seller(shop: Shop) -> dict[str, Any]:
    """The seller as an invoice names it (frozen in the document's snapshot)."""
    return {
        "name": shop.name,
        "legal_name": shop.legal_name,
        "legal_form": shop.legal_form,
        "legal_form_label": LEGAL_FORM_LABELS.get(shop.legal_form or ""),
        "share_capital": share_capital_text(shop),
        "street": shop.street,
        "postcode": shop.postcode,
        "town": shop.town,
        "siren": siren_of(shop.siret),
        "siret": shop.siret,
        "registration": registration_text(shop),
        "vat_number": shop.vat_number,
        "vat_franchise": shop.vat_franchise,
    }

"""The seller's legal identity: the merchants' form (private), the public legal notice."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import enum_value
from strawberry.types import Info

from otesaintjo import models
from otesaintjo.schema.common import Money
from otesaintjo.services import legal_identity
from otesaintjo.services.legal_identity import MissingField


@strawberry.enum(
    name="LegalForm", description="La forme juridique du vendeur, imprimée sur ses factures."
)
class LegalFormEnum(Enum):
    EI = enum_value(
        "EI",
        description="Entrepreneur individuel, micro-entrepreneur compris (« EI » suit le nom).",
    )
    EURL = enum_value("EURL", description="SARL à associé unique.")
    SARL = enum_value("SARL", description="Société à responsabilité limitée.")
    SAS = enum_value("SAS", description="Société par actions simplifiée.")
    SASU = enum_value("SASU", description="SAS à associé unique.")
    SA = enum_value("SA", description="Société anonyme.")
    SNC = enum_value("SNC", description="Société en nom collectif.")
    SCOP = enum_value("SCOP", description="Société coopérative et participative.")
    ASSOCIATION = enum_value("ASSOCIATION", description="Association loi 1901.")


@strawberry.enum(name="Registration", description="Où le vendeur est immatriculé.")
class RegistrationEnum(Enum):
    RCS = enum_value(
        "RCS",
        description="Registre du commerce et des sociétés, au greffe d'une ville"
        " (registrationCity, ex. Saint-Pierre) : obligatoire pour une société.",
    )
    RM = enum_value("RM", description="Répertoire des métiers (artisans), chambre de La Réunion.")
    NONE = enum_value(
        "NONE",
        description="Aucune (certains micro-entrepreneurs, associations) ; refusé pour une"
        " société (INVALID_REGISTRATION).",
    )


@strawberry.enum(name="LegalIdentityField", description="Ce qu'il manque pour émettre une facture.")
class MissingFieldEnum(Enum):
    LEGAL_NAME = enum_value(MissingField.LEGAL_NAME, description="La dénomination ou le nom légal.")
    LEGAL_FORM = enum_value(MissingField.LEGAL_FORM, description="La forme juridique.")
    REGISTRATION = enum_value(
        MissingField.REGISTRATION, description="L'immatriculation (et la ville du RCS)."
    )
    VAT_NUMBER = enum_value(
        MissingField.VAT_NUMBER,
        description="Le numéro de TVA, sauf en franchise en base de TVA (vatFranchise).",
    )
    SHARE_CAPITAL = enum_value(
        MissingField.SHARE_CAPITAL,
        description="Le capital social, pour une société commerciale (art. R123-237 du Code de"
        " commerce).",
    )


HOLD_RULE = (
    " Tant qu'elle est incomplète, les ventes continuent (payées, préparées, remboursées) mais"
    " leurs factures et avoirs sont gardés en attente, jamais émis sans les mentions légales"
    " (art. 242 nonies A du CGI) ; la boutique en est avertie par un e-mail, une seule fois ;"
    " dès qu'elle est complète, ils sont émis dans l'ordre et envoyés aux clients."
)


@strawberry.type(
    name="ShopLegalIdentity",
    description="L'identité légale du vendeur, telle que ses factures la portent (art. 242"
    " nonies A du CGI) : ses commerçants et le personnel seulement." + HOLD_RULE,
)
class ShopLegalIdentityType:
    row: strawberry.Private[models.Shop]
    legal_name: str | None = strawberry.field(
        description="Dénomination sociale, ou nom et prénom de l'entrepreneur individuel."
    )
    legal_form: LegalFormEnum | None
    registration: RegistrationEnum | None
    registration_city: str | None = strawberry.field(description="La ville du greffe (RCS).")
    vat_number: str | None = strawberry.field(
        description="Numéro de TVA intracommunautaire (FR, clé, SIREN)."
    )
    vat_franchise: bool = strawberry.field(
        description="Franchise en base de TVA (art. 293 B du CGI) : ni TVA ni numéro de TVA"
        " sur les factures, la mention « TVA non applicable, art. 293 B du CGI »."
    )
    share_capital: Money | None = strawberry.field(
        description="Le capital social d'une société commerciale (EURL, SARL, SAS, SASU, SA,"
        " SNC, SCOP) ; null pour un entrepreneur individuel ou une association."
    )
    missing_fields: list[MissingFieldEnum] = strawberry.field(
        description="Ce qu'il manque pour émettre une facture ; vide : complète."
    )
    complete: bool = strawberry.field(description="Les factures peuvent être émises.")

    @classmethod
    def from_row(cls, row: models.Shop) -> ShopLegalIdentityType:
        missing = legal_identity.missing_fields(row)
        return cls(
            row=row,
            legal_name=row.legal_name,
            legal_form=LegalFormEnum(row.legal_form) if row.legal_form else None,
            registration=RegistrationEnum(row.registration) if row.registration else None,
            registration_city=row.registration_city,
            vat_number=row.vat_number,
            vat_franchise=row.vat_franchise,
            share_capital=Money(cents=row.share_capital_cents)
            if row.share_capital_cents is not None
            else None,
            missing_fields=[MissingFieldEnum(m) for m in missing],
            complete=not missing,
        )

    @strawberry.field(
        description="Factures et avoirs en attente de l'identité complète (0 une fois émis)."
    )
    async def held_invoices(self, info: Info) -> int:
        return await info.context.loaders.held_invoices_by_shop_id.load(self.row.id)


@strawberry.type(
    description="Les mentions légales du vendeur (loi n° 2004-575 du 21 juin 2004, art. 19 ;"
    " Code de la consommation L221-5), publiques : ce que ses factures disent de lui."
)
class SellerLegalNotice:
    legal_name: str
    legal_form: LegalFormEnum
    legal_form_label: str = strawberry.field(description="En clair (« Entrepreneur individuel…).")
    share_capital: str | None = strawberry.field(
        description="« au capital de 7 500,00 € » pour une société commerciale, sinon null."
    )
    siren: str
    registration: str = strawberry.field(
        description="« RCS Saint-Pierre 732 829 320 », « RM 974 … » ou « Dispensé"
        " d'immatriculation au RCS et au RM »."
    )
    vat_number: str | None
    vat_mention: str | None = strawberry.field(
        description="« TVA non applicable, art. 293 B du CGI » en franchise en base de TVA."
    )

    @classmethod
    def of(cls, row: models.Shop) -> SellerLegalNotice | None:
        """Null until the identity is complete."""
        if legal_identity.missing_fields(row):
            return None
        return cls(
            legal_name=row.legal_name,  # type: ignore[arg-type]
            legal_form=LegalFormEnum(row.legal_form),
            legal_form_label=legal_identity.LEGAL_FORM_LABELS[row.legal_form],  # type: ignore[index]
            share_capital=legal_identity.share_capital_text(row),
            siren=legal_identity.siren_of(row.siret),
            registration=legal_identity.registration_text(row),  # type: ignore[arg-type]
            vat_number=row.vat_number,
            vat_mention=legal_identity.FRANCHISE_MENTION if row.vat_franchise else None,
        )


@strawberry.input(
    description="L'identité légale du vendeur ; un champ absent (null) reste inchangé."
)
class ShopLegalIdentityInput:
    legal_name: str | None = strawberry.field(
        default=None,
        description="Dénomination sociale, ou nom et prénom de l'entrepreneur individuel ; 200"
        " caractères au plus.",
    )
    legal_form: LegalFormEnum | None = strawberry.field(
        default=None, description="La forme juridique."
    )
    registration: RegistrationEnum | None = strawberry.field(
        default=None, description="RCS (avec registrationCity), RM, ou NONE."
    )
    registration_city: str | None = strawberry.field(
        default=None, description="RCS : la ville du greffe (ex. « Saint-Pierre »)."
    )
    vat_number: str | None = strawberry.field(
        default=None,
        description="FR + clé + SIREN du SIRET de la boutique (espaces permis) ; chaîne vide :"
        " le retirer. INVALID_VAT_NUMBER, VAT_NUMBER_MISMATCH.",
    )
    vat_franchise: bool | None = strawberry.field(
        default=None, description="Vrai : franchise en base de TVA (art. 293 B du CGI)."
    )
    share_capital_cents: int | None = strawberry.field(
        default=None,
        description="Le capital social en centimes, pour une société commerciale (ignoré"
        " pour un entrepreneur individuel ou une association).",
    )

    def changes(self) -> legal_identity.IdentityChanges:
        return legal_identity.IdentityChanges(
            legal_name=self.legal_name,
            legal_form=self.legal_form.value if self.legal_form else None,
            registration=self.registration.value if self.registration else None,
            registration_city=self.registration_city,
            vat_number=self.vat_number,
            vat_franchise=self.vat_franchise,
            share_capital_cents=self.share_capital_cents,
        )


@strawberry.input
class UpdateShopLegalIdentityInput:
    shop_id: strawberry.ID = strawberry.field(description="La boutique, gérée par l'appelant.")
    legal_identity: ShopLegalIdentityInput = strawberry.field(description="Les champs à changer.")

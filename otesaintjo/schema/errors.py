"""``UserError`` (business refusals in payloads) and top-level errors for auth and bad args."""

from __future__ import annotations

from enum import Enum

import strawberry
from graphql import GraphQLError
from strawberry import enum_value

from otesaintjo.errors import DomainError, DomainErrors
from otesaintjo.errors import ErrorCode as DomainErrorCode

D = DomainErrorCode


@strawberry.enum(description="Codes stables des refus métier, à traduire par les clients.")
class ErrorCode(Enum):
    """The domain's codes (``otesaintjo.errors.ErrorCode``, left as it is), each described for
    GraphiQL: same names, same values. ``graphql_code`` turns a domain code into one of these."""

    INVALID_INPUT = enum_value(
        D.INVALID_INPUT.value,
        description="Valeur refusée, par exemple un champ obligatoire vide (« field » le nomme).",
    )
    TOO_LONG = enum_value(
        D.TOO_LONG.value, description="Texte trop long ; le message donne la limite."
    )
    INVALID_EMAIL = enum_value(D.INVALID_EMAIL.value, description="Adresse e-mail mal formée.")
    INVALID_PHONE = enum_value(
        D.INVALID_PHONE.value,
        description="Numéro de téléphone invalide, ou fixe là où un mobile est attendu.",
    )
    PASSWORD_TOO_SHORT = enum_value(
        D.PASSWORD_TOO_SHORT.value, description="Mot de passe de moins de 10 caractères."
    )
    EMAIL_TAKEN = enum_value(
        D.EMAIL_TAKEN.value, description="Un compte existe déjà avec cette adresse e-mail."
    )
    INVALID_CREDENTIALS = enum_value(
        D.INVALID_CREDENTIALS.value,
        description="E-mail ou mot de passe incorrect (sans dire lequel) ; pour"
        " deleteMyAccount, le mot de passe ressaisi est faux.",
    )
    TOO_MANY_ATTEMPTS = enum_value(
        D.TOO_MANY_ATTEMPTS.value,
        description="Trop d'échecs de connexion (ou de mot de passe ressaisi pour"
        " deleteMyAccount) : réessayer après le délai dit par le message.",
    )
    INVALID_TOKEN = enum_value(
        D.INVALID_TOKEN.value,
        description="Jeton ou lien invalide, expiré ou déjà utilisé (refreshToken : se"
        " reconnecter).",
    )
    EXPIRED_TOKEN = enum_value(
        D.EXPIRED_TOKEN.value,
        description="Lien de réinitialisation du mot de passe expiré : en demander un autre.",
    )
    NOT_FOUND = enum_value(
        D.NOT_FOUND.value,
        description="Introuvable, ou invisible pour l'appelant ; aussi pour un identifiant"
        " mal formé.",
    )
    INVALID_SIRET = enum_value(
        D.INVALID_SIRET.value,
        description="SIRET invalide : 14 chiffres avec une clé de Luhn correcte.",
    )
    INVALID_POSTCODE = enum_value(
        D.INVALID_POSTCODE.value,
        description="Code postal invalide (5 chiffres), ou autre que celui du panier.",
    )
    INVALID_URL = enum_value(
        D.INVALID_URL.value,
        description="Adresse web invalide : http:// ou https://, 300 caractères au plus.",
    )
    INVALID_COORDINATES = enum_value(
        D.INVALID_COORDINATES.value,
        description="Latitude et longitude : les deux ou aucune, dans ±90 et ±180.",
    )
    INVALID_HOURS = enum_value(
        D.INVALID_HOURS.value,
        description="Horaires invalides : HH:MM, ouverture avant fermeture, sans"
        " chevauchement, 4 plages par jour au plus.",
    )
    INVALID_CATEGORY = enum_value(
        D.INVALID_CATEGORY.value,
        description="Catégorie invalide (40 caractères au plus une fois normalisée).",
    )
    INVALID_PRICE = enum_value(
        D.INVALID_PRICE.value, description="Prix hors de 0 à 10 000 000 centimes."
    )
    INVALID_STOCK = enum_value(D.INVALID_STOCK.value, description="Stock hors de 0 à 1 000 000.")
    INVALID_VAT_RATE = enum_value(
        D.INVALID_VAT_RATE.value, description="Taux de TVA qui n'existe pas à La Réunion."
    )
    INVALID_AMOUNT = enum_value(
        D.INVALID_AMOUNT.value,
        description="Montant hors limites : frais de 0 à 100 000 centimes ; réduction de"
        " 0,01 % à 90 %, ou d'un montant positif.",
    )
    INVALID_DATE_RANGE = enum_value(
        D.INVALID_DATE_RANGE.value,
        description="Dates incohérentes : la fin doit suivre le début et être à venir.",
    )
    PROMOTION_ALREADY_ENDED = enum_value(
        D.PROMOTION_ALREADY_ENDED.value, description="La promotion est déjà terminée ou arrêtée."
    )
    UNSUPPORTED_IMAGE_FORMAT = enum_value(
        D.UNSUPPORTED_IMAGE_FORMAT.value,
        description="Le fichier n'est pas une image PNG ou JPEG lisible.",
    )
    IMAGE_TOO_LARGE = enum_value(D.IMAGE_TOO_LARGE.value, description="Image de plus de 10 Mo.")
    IMAGE_TOO_MANY_PIXELS = enum_value(
        D.IMAGE_TOO_MANY_PIXELS.value, description="Image de plus de 40 mégapixels."
    )
    TOO_MANY_IMAGES = enum_value(
        D.TOO_MANY_IMAGES.value, description="Le produit a déjà 10 photos, le maximum."
    )
    TOO_MANY_ITEMS = enum_value(
        D.TOO_MANY_ITEMS.value,
        description="Nombre d'éléments hors limites (lignes du panier, catégories, codes"
        " postaux, produits d'une promotion…) ; le message donne la limite.",
    )
    LAST_OWNER = enum_value(
        D.LAST_OWNER.value,
        description="Retrait refusé : la boutique doit garder au moins un gérant ; aussi"
        " deleteMyAccount du dernier gérant d'une boutique ouverte (la transmettre ou la faire"
        " fermer par le service client d'abord).",
    )
    INVALID_QUANTITY = enum_value(
        D.INVALID_QUANTITY.value,
        description="Quantité nulle ou négative, ou supérieure à ce qui reste à retourner.",
    )
    PRODUCT_UNAVAILABLE = enum_value(
        D.PRODUCT_UNAVAILABLE.value,
        description="Produit plus en vente (hors ligne, ou boutique inactive).",
    )
    INSUFFICIENT_STOCK = enum_value(
        D.INSUFFICIENT_STOCK.value,
        description="Quantité supérieure au stock ; le message dit ce qui reste.",
    )
    OUT_OF_STOCK = enum_value(
        D.OUT_OF_STOCK.value,
        description="À la commande, un produit du panier n'a plus assez de stock.",
    )
    NOT_IN_CART = enum_value(
        D.NOT_IN_CART.value,
        description="Ce produit, ou aucun produit de cette boutique, n'est dans le panier.",
    )
    PICKUP_UNAVAILABLE = enum_value(
        D.PICKUP_UNAVAILABLE.value, description="La boutique ne propose pas (ou plus) le retrait."
    )
    NOT_DELIVERABLE = enum_value(
        D.NOT_DELIVERABLE.value,
        description="Un produit de la boutique est à retirer en boutique uniquement.",
    )
    CARRIER_UNAVAILABLE = enum_value(
        D.CARRIER_UNAVAILABLE.value,
        description="Ce transporteur ne dessert pas le code postal ; le message nomme ceux"
        " qui le desservent.",
    )
    CARRIER_REQUIRED = enum_value(
        D.CARRIER_REQUIRED.value,
        description="Livraison sans transporteur : en choisir un parmi deliveryOptions.",
    )
    NO_CARRIER_FOR_POSTCODE = enum_value(
        D.NO_CARRIER_FOR_POSTCODE.value,
        description="La boutique ne livre pas ce code postal : choisir le retrait.",
    )
    POSTCODE_REQUIRED = enum_value(
        D.POSTCODE_REQUIRED.value,
        description="Code postal de livraison manquant : cartSetDeliveryPostcode d'abord.",
    )
    EMPTY_CART = enum_value(D.EMPTY_CART.value, description="Le panier est vide.")
    FULFILMENT_REQUIRED = enum_value(
        D.FULFILMENT_REQUIRED.value,
        description="Une boutique du panier attend le choix retrait ou livraison"
        " (cartSetFulfilment).",
    )
    ADDRESS_REQUIRED = enum_value(
        D.ADDRESS_REQUIRED.value,
        description="Adresse de livraison manquante alors qu'une boutique livre.",
    )
    IDEMPOTENCY_KEY_REUSED = enum_value(
        D.IDEMPOTENCY_KEY_REUSED.value,
        description="Clé d'idempotence déjà utilisée pour un autre panier : en générer une"
        " nouvelle.",
    )
    PAYMENT_UNAVAILABLE = enum_value(
        D.PAYMENT_UNAVAILABLE.value,
        description="Paiement (Stripe) momentanément indisponible : réessayer plus tard.",
    )
    PAYMENT_EXPIRED = enum_value(
        D.PAYMENT_EXPIRED.value, description="Délai de paiement de l'achat dépassé."
    )
    INVALID_STATUS_TRANSITION = enum_value(
        D.INVALID_STATUS_TRANSITION.value,
        description="Action impossible dans l'état actuel de la commande ou du retour.",
    )
    INVALID_PICKUP_CODE = enum_value(
        D.INVALID_PICKUP_CODE.value,
        description="Le code de retrait donné ne correspond pas à celui de la commande.",
    )
    UNSUPPORTED_DOCUMENT_FORMAT = enum_value(
        D.UNSUPPORTED_DOCUMENT_FORMAT.value,
        description="Pièce justificative illisible : une photo ou un scan PNG ou JPEG est attendu.",
    )
    DOCUMENT_TOO_LARGE = enum_value(
        D.DOCUMENT_TOO_LARGE.value, description="Pièce justificative de plus de 10 Mo."
    )
    RETURN_WINDOW_CLOSED = enum_value(
        D.RETURN_WINDOW_CLOSED.value,
        description="Rétractation impossible : plus de 14 jours après réception, ou commande"
        " pas encore reçue.",
    )
    NOT_RETURNABLE = enum_value(
        D.NOT_RETURNABLE.value,
        description="Ce produit est exclu du droit de rétractation (art. L221-28 du Code de la"
        " consommation : denrée périssable, journal ou magazine, bien personnalisé) : le client"
        " en était informé avant l'achat (OrderLine.withdrawalNotice).",
    )
    REFUND_EXCEEDS_PAYMENT = enum_value(
        D.REFUND_EXCEEDS_PAYMENT.value,
        description="Le remboursement dépasserait ce que le client a payé pour la commande.",
    )
    INVALID_RATING = enum_value(D.INVALID_RATING.value, description="Note hors de 1 à 5.")
    REVIEW_NOT_ALLOWED = enum_value(
        D.REVIEW_NOT_ALLOWED.value,
        description="Seul un client ayant reçu une commande de la boutique peut la noter.",
    )
    REVIEW_EXISTS = enum_value(
        D.REVIEW_EXISTS.value,
        description="Ce client a déjà noté la boutique : modifier son avis (updateShopReview).",
    )
    REPLY_EXISTS = enum_value(
        D.REPLY_EXISTS.value, description="La boutique a déjà répondu à cet avis."
    )
    TICKET_CLOSED = enum_value(D.TICKET_CLOSED.value, description="Ce ticket est fermé.")
    SHOP_NAME_TAKEN = enum_value(
        D.SHOP_NAME_TAKEN.value,
        description="Une boutique porte déjà ce nom, ou un nom qui s'y confond (lettres d'un"
        " autre alphabet, accents, casse, espaces ou ponctuation près).",
    )
    ORDER_IN_PROGRESS = enum_value(
        D.ORDER_IN_PROGRESS.value,
        description="deleteMyAccount refusé : un achat attend son paiement, une commande payée"
        " n'est pas encore reçue ou retirée, ou un retour attend son remboursement ; le message"
        " nomme la commande. Réessayer une fois la commande reçue (ou le retour remboursé).",
    )
    TOO_MANY_EXPORTS = enum_value(
        D.TOO_MANY_EXPORTS.value,
        description="requestMyDataExport refusé : 3 exports déjà demandés dans les dernières"
        " 24 heures ; le message dit quand réessayer.",
    )
    NOT_MERCHANT_DELIVERY = enum_value(
        D.NOT_MERCHANT_DELIVERY.value,
        description="cartSetDeliverySlot refusé : la boutique n'est pas livrée par le"
        " commerçant lui-même (cartSetFulfilment DELIVERY avec MERCHANT d'abord).",
    )
    DELIVERY_SLOT_OTHER_SHOP = enum_value(
        D.DELIVERY_SLOT_OTHER_SHOP.value,
        description="Ce créneau de livraison est celui d'une autre boutique.",
    )
    DELIVERY_SLOT_UNAVAILABLE = enum_value(
        D.DELIVERY_SLOT_UNAVAILABLE.value,
        description="Ce créneau ne se réserve pas ce jour-là : jour férié, fermeture, date"
        " hors des prochains jours proposés, heure limite de réservation passée, ou créneau"
        " supprimé ; en choisir un parmi CartShop.deliverySlots.",
    )
    DELIVERY_SLOT_FULL = enum_value(
        D.DELIVERY_SLOT_FULL.value,
        description="Ce créneau est complet (sa capacité de commandes est atteinte) : en"
        " choisir un autre parmi CartShop.deliverySlots.",
    )
    DELIVERY_SLOT_REQUIRED = enum_value(
        D.DELIVERY_SLOT_REQUIRED.value,
        description="checkout refusé : la boutique livre sur créneaux ; en choisir un"
        " (cartSetDeliverySlot) parmi CartShop.deliverySlots.",
    )
    INVALID_VAT_NUMBER = enum_value(
        D.INVALID_VAT_NUMBER.value,
        description="Numéro de TVA intracommunautaire invalide (FR, clé de 2 caractères, SIREN).",
    )
    VAT_NUMBER_MISMATCH = enum_value(
        D.VAT_NUMBER_MISMATCH.value,
        description="Le numéro de TVA ne porte pas le SIREN de la boutique (les 9 premiers"
        " chiffres de son SIRET).",
    )
    INVALID_REGISTRATION = enum_value(
        D.INVALID_REGISTRATION.value,
        description="Immatriculation incohérente : RCS sans la ville du greffe, ou aucune"
        " immatriculation pour une société (EURL, SARL, SAS, SASU, SA, SNC, SCOP).",
    )


_drift = {(c.name, c.value) for c in DomainErrorCode} ^ {(c.name, c.value) for c in ErrorCode}
if _drift:  # a code added to otesaintjo.errors must be described here too
    raise TypeError(f"schema ErrorCode out of step with otesaintjo.errors: {sorted(_drift)}")


def graphql_code(code: DomainErrorCode | str) -> ErrorCode:
    """The schema's member for a domain code (or its plain string value)."""
    return ErrorCode(str(code))


@strawberry.type(description="Un refus métier : le message est en français, le code est stable.")
class UserError:
    field: list[str] | None = strawberry.field(
        description="Chemin du champ d'entrée en cause, s'il y en a un."
    )
    message: str
    code: ErrorCode


def user_errors(error: DomainError) -> list[UserError]:
    errors = error.errors if isinstance(error, DomainErrors) else [error]
    return [UserError(field=e.field, message=e.message, code=graphql_code(e.code)) for e in errors]


class ClientError(GraphQLError):
    """An error meant for the client as is (never masked): bad arguments, auth, limits."""

    def __init__(self, message: str, code: str, **extensions: object) -> None:
        super().__init__(message, extensions={"code": code, **extensions})


def bad_input(message: str) -> ClientError:
    return ClientError(message, "BAD_USER_INPUT")

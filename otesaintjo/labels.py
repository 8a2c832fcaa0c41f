"""The French words people read for our enum values: in emails, SMS, invoices and pages.

A customer never reads ``STUART`` or ``READY_FOR_PICKUP``; every message goes through these.
The API keeps its enum values (front ends translate them) and also offers these labels.
"""

from __future__ import annotations

CARRIERS = {
    "MERCHANT": "le commerçant",
    "LA_POSTE": "La Poste",
    "STUART": "Stuart (coursier)",
    "COLISSIMO": "Colissimo",
}
FULFILMENT_MODES = {
    "PICKUP": "Retrait en boutique",
    "DELIVERY": "Livraison à domicile",
}
ORDER_STATUSES = {
    "PENDING_PAYMENT": "en attente de paiement",
    "PAID": "payée, à préparer",
    "READY_FOR_PICKUP": "prête à retirer",
    "COLLECTED": "retirée",
    "SHIPPED": "expédiée",
    "DELIVERED": "livrée",
    "CANCELLED": "annulée",
}
RETURN_STATUSES = {
    "REQUESTED": "demandé",
    "RECEIVED": "reçu, remboursement en cours",
    "REFUNDED": "remboursé",
    "REFUSED": "refusé (articles abîmés)",
}


def carrier_label(carrier: str | None) -> str:
    return CARRIERS.get(carrier or "", carrier or "")


def mode_label(mode: str) -> str:
    return FULFILMENT_MODES.get(mode, mode)


def status_label(status: str) -> str:
    return ORDER_STATUSES.get(status, RETURN_STATUSES.get(status, status))


# Goods excluded from the withdrawal right, Code de la consommation L221-28: what the customer
# reads before buying (product, cart line, confirmation email), and the article's paragraph.
WITHDRAWAL_EXCLUSIONS = {
    "CUSTOM_MADE": ("non retournable : bien personnalisé ou fait sur mesure", "3°"),
    "PERISHABLE": ("non retournable : denrée périssable", "4°"),
    "SEALED_HYGIENE": ("non retournable une fois descellé : produit d'hygiène ou de santé", "5°"),
    "SEALED_RECORDING": (
        "non retournable une fois descellé : enregistrement audio, vidéo ou logiciel",
        "8°",
    ),
    "PRESS": ("non retournable : journal ou magazine", "9°"),
}


def withdrawal_short(exclusion: str | None) -> str | None:
    """« non retournable : denrée périssable », or None for a returnable product."""
    if exclusion is None:
        return None
    return WITHDRAWAL_EXCLUSIONS.get(exclusion, (f"non retournable : {exclusion}", ""))[0]


def withdrawal_notice(exclusion: str | None) -> str | None:
    """« Non retournable : denrée périssable (art. L221-28 4° du Code de la consommation) »."""
    if exclusion is None:
        return None
    short, paragraph = WITHDRAWAL_EXCLUSIONS.get(exclusion, (f"non retournable : {exclusion}", ""))
    article = f"art. L221-28 {paragraph}".strip()
    return f"{short[0].upper()}{short[1:]} ({article} du Code de la consommation)"

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

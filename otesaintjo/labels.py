"""The French words people read for our enum values: in emails, SMS, invoices and pages.

A customer never reads ``STUART`` or ``READY_FOR_PICKUP``; every message goes through these.
The API keeps its enum values (front ends translate them) and also offers these labels.
"""

from __future__ import annotations

from datetime import date, datetime

from otesaintjo.clock import REUNION

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


# Days and hours as people write them: « mardi 8 décembre », « 14 h », « 14 h 30 ».
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def french_day(day: date) -> str:
    """« mardi 8 décembre » (« 1er » for the first of the month)."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{DAYS[day.weekday()]} {number} {MONTHS[day.month - 1]}"


def french_hour(moment: datetime) -> str:
    """« 14 h », or « 14 h 30 », in La Réunion's time."""
    local = moment.astimezone(REUNION)
    return f"{local.hour} h" if local.minute == 0 else f"{local.hour} h {local.minute:02d}"


def slot_label(starts_at: datetime, ends_at: datetime) -> str:
    """« mardi 8 décembre entre 14 h et 16 h » (Réunion time)."""
    day = starts_at.astimezone(REUNION).date()
    return f"{french_day(day)} entre {french_hour(starts_at)} et {french_hour(ends_at)}"


def delivery_promise(
    starts_at: datetime | None, ends_at: datetime | None, estimated: date | None
) -> str | None:
    """What the customer and the shop read of a delivery's day: « Livraison le mardi
    8 décembre entre 14 h et 16 h » for a slot, « Livraison estimée le jeudi 10 décembre »
    for a carrier; None for a pickup."""
    if starts_at is not None and ends_at is not None:
        return f"Livraison le {slot_label(starts_at, ends_at)}"
    if estimated is not None:
        return f"Livraison estimée le {french_day(estimated)}"
    return None

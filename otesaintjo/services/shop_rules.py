"""Checks of a shop's details: SIRET, postcode, website, hours, delivery, categories."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from otesaintjo.errors import DomainError, ErrorCode

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LA_POSTE_SIREN = "356000000"
MAX_CATEGORIES = 5
MAX_RANGES_PER_DAY = 4
MAX_CLOSURES = 100
MAX_DELIVERY_POSTCODES = 100
MAX_FEE_CENTS = 100_000
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def check_siret(siret: str, field: list[str]) -> str:
    """14 digits passing Luhn; La Poste's establishments (SIREN 356000000) use a digit sum
    divisible by 5 instead, a documented exception of INSEE."""
    value = re.sub(r"[\s.]", "", siret)
    if not re.fullmatch(r"\d{14}", value):
        raise DomainError(ErrorCode.INVALID_SIRET, "Le SIRET compte 14 chiffres.", field)
    valid = luhn_valid(value) or (
        value.startswith(LA_POSTE_SIREN) and sum(int(c) for c in value) % 5 == 0
    )
    if not valid:
        raise DomainError(ErrorCode.INVALID_SIRET, "Ce numéro SIRET n'est pas valide.", field)
    return value


def check_postcode(postcode: str, field: list[str]) -> str:
    value = postcode.strip()
    if not re.fullmatch(r"\d{5}", value):
        raise DomainError(ErrorCode.INVALID_POSTCODE, "Code postal invalide (5 chiffres).", field)
    return value


def check_website(url: str, field: list[str]) -> str | None:
    """An http(s) address, or None to remove it."""
    value = url.strip()
    if not value:
        return None
    parts = urlsplit(value)
    if len(value) > 300 or parts.scheme not in {"http", "https"} or not parts.hostname:
        raise DomainError(ErrorCode.INVALID_URL, "Adresse web invalide (https://…).", field)
    return value


def check_coordinates(lat: float | None, lng: float | None, field: list[str]) -> None:
    if (lat is None) != (lng is None):
        raise DomainError(
            ErrorCode.INVALID_COORDINATES, "Latitude et longitude vont ensemble.", field
        )
    if lat is not None and lng is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise DomainError(ErrorCode.INVALID_COORDINATES, "Coordonnées hors limites.", field)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:70] or "boutique"


def check_categories(categories: list[str], field: list[str]) -> list[str]:
    cleaned = []
    for category in categories:
        value = slugify(category)
        if not _SLUG.fullmatch(value) or len(value) > 40:
            raise DomainError(ErrorCode.INVALID_CATEGORY, "Catégorie invalide.", field)
        if value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_CATEGORIES:
        raise DomainError(ErrorCode.TOO_MANY_ITEMS, f"Au plus {MAX_CATEGORIES} catégories.", field)
    return cleaned


def check_pickup_hours(ranges: list[tuple[str, str, str]], field: list[str]) -> dict[str, Any]:
    """(day, opens, closes) in Réunion time → {"mon": [["08:00", "12:00"], …], …}."""
    week: dict[str, list[list[str]]] = {day: [] for day in WEEKDAYS}
    for day, opens, closes in ranges:
        if day not in week or not _HHMM.match(opens) or not _HHMM.match(closes) or opens >= closes:
            raise DomainError(
                ErrorCode.INVALID_HOURS,
                "Horaire invalide : ouverture avant fermeture, HH:MM.",
                field,
            )
        week[day].append([opens, closes])
    for day, day_ranges in week.items():
        day_ranges.sort()
        if len(day_ranges) > MAX_RANGES_PER_DAY:
            raise DomainError(ErrorCode.INVALID_HOURS, f"Trop de plages le {day}.", field)
        for previous, current in pairwise(day_ranges):
            if current[0] < previous[1]:
                raise DomainError(
                    ErrorCode.INVALID_HOURS, "Des plages horaires se chevauchent.", field
                )
    return week


def check_closures(closures: list[tuple[date, str]], field: list[str]) -> list[dict[str, str]]:
    if len(closures) > MAX_CLOSURES:
        raise DomainError(ErrorCode.TOO_MANY_ITEMS, f"Au plus {MAX_CLOSURES} fermetures.", field)
    result = []
    for day, reason in sorted(closures):
        if len(reason) > 200:
            raise DomainError(ErrorCode.TOO_LONG, "Motif de fermeture trop long.", field)
        result.append({"date": day.isoformat(), "reason": reason.strip()})
    return result


def check_fee(cents: int | None, field: list[str]) -> int | None:
    if cents is not None and not 0 <= cents <= MAX_FEE_CENTS:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "Montant invalide.", field)
    return cents


def check_delivery_postcodes(postcodes: list[str], field: list[str]) -> list[str]:
    if len(postcodes) > MAX_DELIVERY_POSTCODES:
        raise DomainError(ErrorCode.TOO_MANY_ITEMS, "Trop de codes postaux.", field)
    return sorted({check_postcode(p, field) for p in postcodes})

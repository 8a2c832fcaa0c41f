"""Input checks shared by services; each failure names its field for ``userErrors``."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from otesaintjo.errors import DomainError, ErrorCode

MAX_EMAIL = 254
MIN_PASSWORD = 10
MAX_PASSWORD = 1024


def normalize_email(email: str, field: list[str]) -> str:
    """Lower-cased, syntax-checked address (no DNS lookup: the machine may be offline)."""
    email = email.strip()
    if len(email) > MAX_EMAIL:
        raise DomainError(ErrorCode.TOO_LONG, "Adresse e-mail trop longue.", field)
    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise DomainError(ErrorCode.INVALID_EMAIL, "Adresse e-mail invalide.", field) from exc
    return result.normalized.lower()


def check_password(password: str, field: list[str]) -> None:
    if len(password) < MIN_PASSWORD:
        raise DomainError(
            ErrorCode.PASSWORD_TOO_SHORT,
            f"Le mot de passe doit contenir au moins {MIN_PASSWORD} caractères.",
            field,
        )
    if len(password) > MAX_PASSWORD:
        raise DomainError(ErrorCode.TOO_LONG, "Mot de passe trop long.", field)


def clean_text(value: str, field: list[str], *, max_length: int, required: bool = True) -> str:
    """Trimmed text within bounds."""
    value = value.strip()
    if required and not value:
        raise DomainError(ErrorCode.INVALID_INPUT, "Ce champ est obligatoire.", field)
    if len(value) > max_length:
        raise DomainError(ErrorCode.TOO_LONG, f"Ce champ dépasse {max_length} caractères.", field)
    return value


def normalize_phone(phone: str, field: list[str], *, mobile_only: bool = False) -> str:
    """E.164 form; numbers without a country code are read as La Réunion (+262)."""
    if len(phone) > 30:
        raise DomainError(ErrorCode.TOO_LONG, "Numéro de téléphone trop long.", field)
    try:
        number = phonenumbers.parse(phone, "RE")
    except phonenumbers.NumberParseException as exc:
        raise DomainError(ErrorCode.INVALID_PHONE, "Numéro de téléphone invalide.", field) from exc
    if not phonenumbers.is_valid_number(number):
        raise DomainError(ErrorCode.INVALID_PHONE, "Numéro de téléphone invalide.", field)
    if mobile_only and phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise DomainError(ErrorCode.INVALID_PHONE, "Un numéro de mobile est attendu.", field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

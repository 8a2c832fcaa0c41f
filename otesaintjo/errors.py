"""Business refusals: one stable ``ErrorCode`` enum shared by services and the API."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

T = TypeVar("T")


class ErrorCode(StrEnum):
    """Stable codes frontends translate. Add freely; never rename."""

    INVALID_INPUT = "INVALID_INPUT"
    TOO_LONG = "TOO_LONG"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"
    PASSWORD_TOO_SHORT = "PASSWORD_TOO_SHORT"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    INVALID_TOKEN = "INVALID_TOKEN"
    EXPIRED_TOKEN = "EXPIRED_TOKEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID_SIRET = "INVALID_SIRET"
    INVALID_POSTCODE = "INVALID_POSTCODE"
    INVALID_URL = "INVALID_URL"
    INVALID_COORDINATES = "INVALID_COORDINATES"
    INVALID_HOURS = "INVALID_HOURS"
    INVALID_CATEGORY = "INVALID_CATEGORY"
    INVALID_PRICE = "INVALID_PRICE"
    INVALID_STOCK = "INVALID_STOCK"
    INVALID_VAT_RATE = "INVALID_VAT_RATE"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"
    PROMOTION_ALREADY_ENDED = "PROMOTION_ALREADY_ENDED"
    UNSUPPORTED_IMAGE_FORMAT = "UNSUPPORTED_IMAGE_FORMAT"
    IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"
    IMAGE_TOO_MANY_PIXELS = "IMAGE_TOO_MANY_PIXELS"
    TOO_MANY_IMAGES = "TOO_MANY_IMAGES"
    TOO_MANY_ITEMS = "TOO_MANY_ITEMS"
    LAST_OWNER = "LAST_OWNER"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    PRODUCT_UNAVAILABLE = "PRODUCT_UNAVAILABLE"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    NOT_IN_CART = "NOT_IN_CART"
    PICKUP_UNAVAILABLE = "PICKUP_UNAVAILABLE"
    NOT_DELIVERABLE = "NOT_DELIVERABLE"
    CARRIER_UNAVAILABLE = "CARRIER_UNAVAILABLE"
    CARRIER_REQUIRED = "CARRIER_REQUIRED"
    NO_CARRIER_FOR_POSTCODE = "NO_CARRIER_FOR_POSTCODE"
    POSTCODE_REQUIRED = "POSTCODE_REQUIRED"
    EMPTY_CART = "EMPTY_CART"
    FULFILMENT_REQUIRED = "FULFILMENT_REQUIRED"
    ADDRESS_REQUIRED = "ADDRESS_REQUIRED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    PAYMENT_UNAVAILABLE = "PAYMENT_UNAVAILABLE"
    PAYMENT_EXPIRED = "PAYMENT_EXPIRED"
    INVALID_STATUS_TRANSITION = "INVALID_STATUS_TRANSITION"
    INVALID_PICKUP_CODE = "INVALID_PICKUP_CODE"
    UNSUPPORTED_DOCUMENT_FORMAT = "UNSUPPORTED_DOCUMENT_FORMAT"
    DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
    RETURN_WINDOW_CLOSED = "RETURN_WINDOW_CLOSED"
    NOT_RETURNABLE = "NOT_RETURNABLE"
    REFUND_EXCEEDS_PAYMENT = "REFUND_EXCEEDS_PAYMENT"
    INVALID_RATING = "INVALID_RATING"
    REVIEW_NOT_ALLOWED = "REVIEW_NOT_ALLOWED"
    REVIEW_EXISTS = "REVIEW_EXISTS"
    REPLY_EXISTS = "REPLY_EXISTS"
    TICKET_CLOSED = "TICKET_CLOSED"
    SHOP_NAME_TAKEN = "SHOP_NAME_TAKEN"
    ORDER_IN_PROGRESS = "ORDER_IN_PROGRESS"
    TOO_MANY_EXPORTS = "TOO_MANY_EXPORTS"
    NOT_MERCHANT_DELIVERY = "NOT_MERCHANT_DELIVERY"
    DELIVERY_SLOT_OTHER_SHOP = "DELIVERY_SLOT_OTHER_SHOP"
    DELIVERY_SLOT_UNAVAILABLE = "DELIVERY_SLOT_UNAVAILABLE"
    DELIVERY_SLOT_FULL = "DELIVERY_SLOT_FULL"
    DELIVERY_SLOT_REQUIRED = "DELIVERY_SLOT_REQUIRED"
    INVALID_VAT_NUMBER = "INVALID_VAT_NUMBER"
    VAT_NUMBER_MISMATCH = "VAT_NUMBER_MISMATCH"
    INVALID_REGISTRATION = "INVALID_REGISTRATION"


class DomainError(Exception):
    """A business refusal raised by a service; resolvers turn it into ``userErrors``."""

    def __init__(self, code: ErrorCode, message: str, field: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class DomainErrors(DomainError):
    """Several refusals at once (e.g. one per bad input field)."""

    def __init__(self, errors: list[DomainError]) -> None:
        super().__init__(errors[0].code, errors[0].message, errors[0].field)
        self.errors = errors


class AuthError(Exception):
    """Missing authentication or permission: a top-level GraphQL error, not a userError."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def forbidden(message: str = "Vous n'avez pas accès à cette ressource.") -> AuthError:
    return AuthError("FORBIDDEN", message)


def not_found(field: str, message: str = "Introuvable.") -> DomainError:
    """Also the answer for what exists but is not the caller's: nothing leaks."""
    return DomainError(ErrorCode.NOT_FOUND, message, [field])


class FieldChecks:
    """Run several field checks and report every bad field at once, not just the first."""

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def check(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            self.errors.extend(exc.errors if isinstance(exc, DomainErrors) else [exc])
            return None

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise DomainErrors(self.errors)

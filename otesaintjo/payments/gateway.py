"""What the services need from a payment provider, without naming Stripe.

Services receive a ``PaymentsGateway``; the only implementation talks to Stripe's API
(``stripe_gateway.py``), served by Stripe itself or, offline, by localstripe and our Connect
double. Amounts are integer cents; every mutating call takes an idempotency key derived from
our own ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class PaymentsUnavailable(Exception):
    """The provider refused or could not be reached; the caller may try again later."""


class InvalidWebhook(Exception):
    """A webhook whose signature, timestamp or body does not check out."""


@dataclass(frozen=True)
class PaymentState:
    id: str
    status: str  # Stripe's PaymentIntent status: requires_payment_method, succeeded, canceled…
    amount_cents: int
    client_secret: str | None
    charge_id: str | None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


@dataclass(frozen=True)
class AccountState:
    id: str
    payouts_enabled: bool
    requirements_due: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    object: dict[str, Any]
    account: str | None = None


class PaymentsGateway(Protocol):
    offline: bool

    async def create_payment(
        self, amount_cents: int, metadata: dict[str, str], idempotency_key: str
    ) -> PaymentState: ...

    async def get_payment(self, payment_id: str) -> PaymentState: ...

    async def cancel_payment(self, payment_id: str) -> PaymentState: ...

    async def refund(self, payment_id: str, amount_cents: int, idempotency_key: str) -> str: ...

    async def create_account(
        self, email: str, business_name: str, metadata: dict[str, str], idempotency_key: str
    ) -> AccountState: ...

    async def get_account(self, account_id: str) -> AccountState: ...

    async def onboarding_link(self, account_id: str, refresh_url: str, return_url: str) -> str: ...

    async def attach_kyc_document(
        self, account_id: str, kind: str, content: bytes, filename: str
    ) -> AccountState: ...

    async def create_transfer(
        self,
        amount_cents: int,
        destination: str,
        source_transaction: str,
        transfer_group: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> str: ...

    async def reverse_transfer(
        self, transfer_id: str, amount_cents: int, idempotency_key: str
    ) -> str: ...

    def verify_webhook(self, payload: bytes, signature: str | None) -> WebhookEvent: ...

    async def close(self) -> None: ...

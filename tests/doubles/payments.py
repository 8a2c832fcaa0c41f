"""An in-memory payments gateway, for the service-level tests of the money.

This is a test double of our own ``PaymentsGateway`` protocol, not of Stripe: it keeps
intents, refunds, accounts and transfers in dicts and lets a test decide what Stripe would
say (``succeed``, ``enable_payouts``, ``down``). The Stripe adapter keeps its wire-level tests
against localstripe and the Connect double (``tests/payments``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from otesaintjo.payments.gateway import (
    AccountState,
    InvalidWebhook,
    PaymentState,
    PaymentsUnavailable,
    WebhookEvent,
)


@dataclass
class InMemoryPayments:
    offline: bool = True
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    accounts: dict[str, AccountState] = field(default_factory=dict)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    reversals: list[dict[str, Any]] = field(default_factory=list)
    down: bool = False
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids)}"

    def _up(self) -> None:
        if self.down:
            raise PaymentsUnavailable("the provider is down")

    # What the tests do in Stripe's place.
    def succeed(self, payment_id: str) -> None:
        self.intents[payment_id].update(status="succeeded", charge_id=self._id("ch"))

    def enable_payouts(self, account_id: str) -> None:
        self.accounts[account_id] = AccountState(account_id, payouts_enabled=True)

    def _state(self, payment_id: str) -> PaymentState:
        intent = self.intents[payment_id]
        return PaymentState(
            id=payment_id,
            status=intent["status"],
            amount_cents=intent["amount"],
            client_secret=f"{payment_id}_secret_x",
            charge_id=intent.get("charge_id"),
        )

    # The protocol.
    async def create_payment(
        self, amount_cents: int, metadata: dict[str, str], idempotency_key: str
    ) -> PaymentState:
        self._up()
        existing = next(
            (pid for pid, i in self.intents.items() if i["key"] == idempotency_key), None
        )
        if existing is None:
            existing = self._id("pi")
            self.intents[existing] = {
                "amount": amount_cents,
                "metadata": metadata,
                "key": idempotency_key,
                "status": "requires_payment_method",
            }
        return self._state(existing)

    async def get_payment(self, payment_id: str) -> PaymentState:
        self._up()
        return self._state(payment_id)

    async def cancel_payment(self, payment_id: str) -> PaymentState:
        self._up()
        self.intents[payment_id]["status"] = "canceled"
        return self._state(payment_id)

    async def refund(self, payment_id: str, amount_cents: int, idempotency_key: str) -> str:
        self._up()
        refund_id = self._id("re")
        self.refunds.append({"id": refund_id, "payment": payment_id, "amount": amount_cents})
        return refund_id

    async def create_account(
        self, email: str, business_name: str, metadata: dict[str, str], idempotency_key: str
    ) -> AccountState:
        self._up()
        account = AccountState(self._id("acct"), payouts_enabled=False, requirements_due=["x"])
        self.accounts[account.id] = account
        return account

    async def get_account(self, account_id: str) -> AccountState:
        self._up()
        return self.accounts[account_id]

    async def onboarding_link(self, account_id: str, refresh_url: str, return_url: str) -> str:
        return f"https://connect.invalid/{account_id}"

    async def attach_kyc_document(
        self, account_id: str, kind: str, content: bytes, filename: str
    ) -> AccountState:
        return self.accounts[account_id]

    async def create_transfer(
        self,
        amount_cents: int,
        destination: str,
        source_transaction: str,
        transfer_group: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> str:
        self._up()
        transfer_id = self._id("tr")
        self.transfers[transfer_id] = {
            "amount": amount_cents,
            "destination": destination,
            "source_transaction": source_transaction,
            "group": transfer_group,
        }
        return transfer_id

    async def reverse_transfer(
        self, transfer_id: str, amount_cents: int, idempotency_key: str
    ) -> str:
        self._up()
        self.reversals.append({"transfer": transfer_id, "amount": amount_cents})
        return self._id("trr")

    def verify_webhook(self, payload: bytes, signature: str | None) -> WebhookEvent:
        raise InvalidWebhook("the in-memory gateway receives no webhooks")

    async def close(self) -> None:
        return None

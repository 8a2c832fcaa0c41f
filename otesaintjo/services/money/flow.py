"""``PaymentFlow``: the money actions put together, as the API, the webhook and the outbox
worker use them (``job_handlers`` are the durable jobs: they survive a restart)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from otesaintjo.models import Purchase, User
from otesaintjo.services.checkout import EXPIRE_JOB
from otesaintjo.services.money.base import MoneyPart
from otesaintjo.services.money.ledger import REFUND_DEADLINE_JOB, REFUND_JOB
from otesaintjo.services.money.refunds import Refunds
from otesaintjo.services.money.settlement import (
    CANCEL_PAYMENT_JOB,
    STRIPE_EVENT_JOB,
    Settlement,
    handle_stripe_event,
)
from otesaintjo.services.money.transfers import REVERSAL_JOB, TRANSFER_JOB, Transfers


@dataclass
class PaymentFlow(MoneyPart):
    def __post_init__(self) -> None:
        parts = (self.session_factory, self.gateway, self.settings, self.bus, self.clock)
        self.settlement = Settlement(*parts)
        self.transfers = Transfers(*parts)
        self.refunds = Refunds(*parts)

    async def settle(self, purchase_id: int) -> Purchase | None:
        return await self.settlement.settle(purchase_id)

    async def confirm(self, actor: User, purchase_id: int) -> Purchase:
        return await self.settlement.confirm(actor, purchase_id)

    async def account_updated(self, account_id: str) -> None:
        await self.transfers.account_updated(account_id)


def job_handlers(flow: PaymentFlow) -> dict[str, Callable[[dict[str, Any]], Awaitable[None]]]:
    return {
        EXPIRE_JOB: lambda p: flow.settlement.expire(p["purchase_id"]),
        CANCEL_PAYMENT_JOB: lambda p: flow.settlement.cancel_intent(p["payment_intent_id"]),
        STRIPE_EVENT_JOB: lambda p: handle_stripe_event(
            flow.settlement, flow.transfers.account_updated, p
        ),
        TRANSFER_JOB: lambda p: flow.transfers.send(p["order_id"]),
        REVERSAL_JOB: lambda p: flow.transfers.reverse(p["order_id"], p.get("amount_cents")),
        REFUND_JOB: lambda p: flow.refunds.send(p["refund_id"]),
        REFUND_DEADLINE_JOB: lambda p: flow.refunds.overdue(p["refund_id"]),
    }

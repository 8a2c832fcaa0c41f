"""The money of a purchase, by action: settlement (paid, expired, cancelled before payment),
the shops' transfers (commission, send, reverse, waiting for KYC), and refunds (one ledger for
cancellations and returns, one job that asks Stripe). ``flow.PaymentFlow`` puts them together
for the API, the webhook and the outbox worker."""

from __future__ import annotations

from otesaintjo.services.money.flow import PaymentFlow, job_handlers
from otesaintjo.services.money.ledger import REFUND_DEADLINE_JOB, REFUND_JOB, commission
from otesaintjo.services.money.settlement import CANCEL_PAYMENT_JOB, STRIPE_EVENT_JOB
from otesaintjo.services.money.transfers import REVERSAL_JOB, TRANSFER_JOB

__all__ = [
    "CANCEL_PAYMENT_JOB",
    "REFUND_DEADLINE_JOB",
    "REFUND_JOB",
    "REVERSAL_JOB",
    "STRIPE_EVENT_JOB",
    "TRANSFER_JOB",
    "PaymentFlow",
    "commission",
    "job_handlers",
]

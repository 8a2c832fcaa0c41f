"""Connect test double: a small HTTP app that answers like Stripe's v1 API for Stripe Connect.

This is a test double, NOT Stripe. No money moves: there are no balances, no payouts and no
disputes, only the bookkeeping our code reads back (accounts and their requirements, identity
files, account links, transfers and their reversals) plus signed webhooks. It is used by the
tests and by the offline embedded default ("paiements hors ligne — aucun argent réel").

It fills the Connect gaps of localstripe, which runs as a separate process (GPL: never imported
here); the only link to it is HTTP, to check a transfer's ``source_transaction`` charge.
It speaks the wire format of stripe-python 16 (``StripeClient``, whose HTTP client — aiohttp
in the gateway, httpx in some tests — sends the bytes the library encoded):
form-encoded bodies with bracket nesting, multipart for ``files.create``, Stripe-shaped errors so
that the client raises the same exceptions as against Stripe, and ``Idempotency-Key`` replays.

Run it: ``python -m otesaintjo.payments.offline.connect_double --port 12112
--localstripe http://127.0.0.1:8420`` (it listens on 127.0.0.1 only).

Layout: ``wire`` (Stripe's wire format), ``state`` (what is stored), ``webhooks`` (events,
signing, delivery), ``endpoint`` (auth, idempotency, errors around each handler), ``accounts``,
``onboarding``, ``files``, ``transfers`` (the handlers by resource), ``app`` (routes, ``main``).
"""

from otesaintjo.payments.offline.connect_double.accounts import ADDITIONAL_DOCUMENT, DOCUMENT
from otesaintjo.payments.offline.connect_double.app import (
    DEFAULT_PUBLISHABLE_KEY,
    ConnectDouble,
    create_connect_double,
    main,
)
from otesaintjo.payments.offline.connect_double.endpoint import Handler
from otesaintjo.payments.offline.connect_double.files import FILE_PURPOSES, MAX_FILE_BYTES
from otesaintjo.payments.offline.connect_double.transfers import LOCALSTRIPE_TIMEOUT_SECONDS
from otesaintjo.payments.offline.connect_double.webhooks import WEBHOOK_TIMEOUT_SECONDS
from otesaintjo.payments.offline.connect_double.wire import (
    JSONDict,
    StripeShapedError,
    parse_stripe_form,
)

__all__ = [
    "ADDITIONAL_DOCUMENT",
    "DEFAULT_PUBLISHABLE_KEY",
    "DOCUMENT",
    "FILE_PURPOSES",
    "LOCALSTRIPE_TIMEOUT_SECONDS",
    "MAX_FILE_BYTES",
    "WEBHOOK_TIMEOUT_SECONDS",
    "ConnectDouble",
    "Handler",
    "JSONDict",
    "StripeShapedError",
    "create_connect_double",
    "main",
    "parse_stripe_form",
]

"""The double's in-memory state: what Stripe would store, for one app and nothing longer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from otesaintjo.payments.offline.connect_double.wire import JSONDict, missing


@dataclass
class Webhook:
    """A registered endpoint; ``events`` None means every event type."""

    url: str
    secret: str
    events: list[str] | None


@dataclass
class Stored:
    """An idempotent response: replayed byte for byte for the same key."""

    status: int
    body: bytes
    fingerprint: str


class DoubleState:
    """Accounts, files, transfers, webhooks, events and idempotent replies; the handler classes
    build on it and ``ConnectDouble`` puts them together."""

    def __init__(self, localstripe_base: str, api_key: str) -> None:
        self.localstripe_base = localstripe_base.rstrip("/")
        self.api_key = api_key
        self.accounts: dict[str, JSONDict] = {}
        self.files: dict[str, JSONDict] = {}
        self.transfers: dict[str, JSONDict] = {}
        self.webhooks: dict[str, Webhook] = {}
        self.events: list[JSONDict] = []
        self.return_urls: dict[str, str] = {}
        self.idempotent: dict[tuple[str, str, str, str], Stored] = {}
        self._idempotency_locks: dict[tuple[str, str, str, str], asyncio.Lock] = {}
        # Strong references: the event loop only keeps weak ones to running tasks.
        self._tasks: set[asyncio.Task[None]] = set()

    def _account(self, account_id: str, *, param: str = "id", status: int = 404) -> JSONDict:
        """A known account or Stripe's "No such account"."""
        account = self.accounts.get(account_id)
        if account is None:
            raise missing("account", account_id, param=param, status=status)
        return account

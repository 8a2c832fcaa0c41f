"""Transfers and their reversals: the checks Stripe makes before money would leave the platform.

No money moves; the only outside read is the ``source_transaction`` charge, from localstripe
over HTTP (it is GPL: never imported).
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import structlog

from otesaintjo.payments.offline.connect_double.webhooks import WebhookEvents
from otesaintjo.payments.offline.connect_double.wire import (
    Call,
    JSONDict,
    StripeShapedError,
    metadata_param,
    missing,
    new_id,
    now,
    positive_int,
    required_str,
)

log = structlog.get_logger(__name__)

LOCALSTRIPE_TIMEOUT_SECONDS = 5.0
_TRANSFER_CAPABILITY_MESSAGE = (
    "Your destination account needs to have at least one of the following capabilities "
    "enabled: transfers, crypto_transfers, legacy_payments"
)


class TransferHandlers(WebhookEvents):
    """``/v1/transfers`` and ``/v1/transfers/{id}/reversals``."""

    async def _fetch_charge(self, charge_id: str) -> JSONDict:
        """Read the source charge from localstripe, the one that holds payments."""
        url = f"{self.localstripe_base}/v1/charges/{quote(charge_id, safe='')}"
        headers = {"Authorization": f"Bearer {self.api_key}"}
        try:
            async with httpx.AsyncClient(timeout=LOCALSTRIPE_TIMEOUT_SECONDS) as client:
                reply = await client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("connect double: localstripe unreachable", url=url, error=str(exc))
            raise StripeShapedError(
                502, "The payment backend (localstripe) is unreachable.", type_="api_error"
            ) from exc
        if 400 <= reply.status_code < 500:
            raise missing("charge", charge_id, param="source_transaction", status=400)
        if reply.status_code != 200:
            raise StripeShapedError(
                502, f"localstripe answered {reply.status_code}.", type_="api_error"
            )
        charge: JSONDict = reply.json()
        return charge

    def _transfer(self, transfer_id: str) -> JSONDict:
        """A known transfer or Stripe's "No such transfer"."""
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            raise missing("transfer", transfer_id)
        return transfer

    async def create_transfer(self, call: Call) -> JSONDict:
        """POST /v1/transfers: checks Stripe enforces before money would leave the platform."""
        params = call.params
        amount = positive_int(params.get("amount"), "amount")
        currency = required_str(params, "currency").lower()
        destination = required_str(params, "destination")
        metadata = metadata_param(params)
        account = self._account(destination, param="destination", status=400)
        if not account["payouts_enabled"]:
            raise StripeShapedError(
                400,
                _TRANSFER_CAPABILITY_MESSAGE,
                param="destination",
                code="insufficient_capabilities_for_transfer",
            )
        source = params.get("source_transaction") or None
        if source is not None:
            if not isinstance(source, str):
                raise StripeShapedError(400, "Invalid string", param="source_transaction")
            charge = await self._fetch_charge(source)
            if charge.get("status") != "succeeded":
                raise StripeShapedError(
                    400,
                    f"The source_transaction {source} is not a succeeded charge.",
                    param="source_transaction",
                )
            # No await from here to the insertion: concurrent transfers cannot both pass.
            already = sum(
                t["amount"] - t["amount_reversed"]
                for t in self.transfers.values()
                if t["source_transaction"] == source
            )
            available = int(charge.get("amount", 0))
            if already + amount > available:
                raise StripeShapedError(
                    400,
                    "Transfers using this transaction as a source must not exceed the source "
                    f"amount of {available} {charge.get('currency', currency)} "
                    f"({already} already transferred).",
                    param="amount",
                    code="amount_too_large",
                )
        transfer_id = new_id("tr_")
        transfer: JSONDict = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "currency": currency,
            "description": params.get("description"),
            "destination": destination,
            "livemode": False,
            "metadata": metadata,
            "reversed": False,
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "source_transaction": source,
            "transfer_group": params.get("transfer_group") or None,
            "created": now(),
        }
        self.transfers[transfer_id] = transfer
        self.emit(call, "transfer.created", transfer)
        return transfer

    async def retrieve_transfer(self, call: Call) -> JSONDict:
        """GET /v1/transfers/{id}."""
        return self._transfer(call.path["transfer_id"])

    async def list_transfers(self, call: Call) -> JSONDict:
        """GET /v1/transfers: newest first, filters and ``starting_after`` paging."""
        params = call.params
        limit = positive_int(params.get("limit", "10"), "limit")
        if limit > 100:
            raise StripeShapedError(400, "limit must be at most 100", param="limit")
        found = [
            t
            for t in reversed(self.transfers.values())
            if params.get("transfer_group") in (None, t["transfer_group"])
            and params.get("destination") in (None, t["destination"])
        ]
        after = params.get("starting_after")
        if after:
            ids = [t["id"] for t in found]
            if after not in ids:
                raise missing("transfer", str(after), param="starting_after", status=400)
            found = found[ids.index(after) + 1 :]
        return {
            "object": "list",
            "data": found[:limit],
            "has_more": len(found) > limit,
            "url": "/v1/transfers",
        }

    async def create_reversal(self, call: Call) -> JSONDict:
        """POST /v1/transfers/{id}/reversals: never more than what is left on the transfer."""
        transfer = self._transfer(call.path["transfer_id"])
        remaining = transfer["amount"] - transfer["amount_reversed"]
        if remaining == 0:
            raise StripeShapedError(
                400, f"Transfer {transfer['id']} has already been fully reversed.", param="amount"
            )
        amount = remaining
        if call.params.get("amount") not in (None, ""):
            amount = positive_int(call.params["amount"], "amount")
        if amount > remaining:
            raise StripeShapedError(
                400,
                f"Reversal amount ({amount}) is greater than the unreversed amount on the "
                f"transfer ({remaining}).",
                param="amount",
            )
        reversal: JSONDict = {
            "id": new_id("trr_"),
            "object": "transfer_reversal",
            "amount": amount,
            "currency": transfer["currency"],
            "transfer": transfer["id"],
            "metadata": metadata_param(call.params),
            "created": now(),
        }
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        transfer["reversals"]["data"].insert(0, reversal)
        transfer["reversals"]["total_count"] += 1
        self.emit(call, "transfer.reversed", transfer)
        return reversal

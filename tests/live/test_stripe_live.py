"""Our Stripe adapter against Stripe's real test mode: the shapes localstripe and our Connect
double imitate, checked at the source. Runs only with ``OTESAINTJO_STRIPE_API_KEY=sk_test_…``
(this machine has no route to api.stripe.com: CI reports these as skipped)."""

from __future__ import annotations

import io
import os
import uuid

import pytest
import stripe
from PIL import Image

from otesaintjo.payments.stripe_gateway import StripeGateway

KEY = os.environ.get("OTESAINTJO_STRIPE_API_KEY", "")
pytestmark = pytest.mark.skipif(
    not KEY.startswith("sk_test_"),
    reason="live Stripe tests skipped: OTESAINTJO_STRIPE_API_KEY is not a sk_test_ key",
)


@pytest.fixture
async def gateway():
    live = StripeGateway(
        KEY,
        api_base=None,
        connect_api_base=None,
        webhook_secrets=["whsec_live_test"],
        payment_method_types=["card"],
        offline=False,
    )
    yield live
    await live.close()


async def _confirm(gateway: StripeGateway, intent: str, payment_method: str):
    """What Stripe.js does: confirm with a card (real Stripe takes it in one call)."""
    return await gateway.payments.v1.payment_intents.confirm_async(
        intent, {"payment_method": payment_method}
    )


async def test_pay_refund_and_read_back(gateway) -> None:
    payment = await gateway.create_payment(2050, {"purchase_id": "live"}, str(uuid.uuid4()))
    assert payment.status == "requires_payment_method" and payment.client_secret
    await _confirm(gateway, payment.id, "pm_card_visa")
    paid = await gateway.get_payment(payment.id)
    assert paid.succeeded and paid.charge_id and paid.charge_id.startswith("ch_")
    assert (await gateway.refund(payment.id, 850, str(uuid.uuid4()))).startswith("re_")


async def test_declined_card_then_retry_on_the_same_intent(gateway) -> None:
    payment = await gateway.create_payment(1200, {"purchase_id": "live"}, str(uuid.uuid4()))
    with pytest.raises(stripe.CardError):
        await _confirm(gateway, payment.id, "pm_card_chargeDeclined")
    failed = await gateway.get_payment(payment.id)
    assert failed.status == "requires_payment_method" and failed.error
    await _confirm(gateway, payment.id, "pm_card_visa")
    assert (await gateway.get_payment(payment.id)).succeeded


async def test_same_idempotency_key_gives_the_same_intent(gateway) -> None:
    key = str(uuid.uuid4())
    first = await gateway.create_payment(500, {"purchase_id": "live"}, key)
    second = await gateway.create_payment(500, {"purchase_id": "live"}, key)
    assert first.id == second.id


async def test_connected_account_onboarding_and_documents(gateway) -> None:
    account = await gateway.create_account(
        "boutique@example.re", "Boutique test", {"shop_id": "live"}, str(uuid.uuid4())
    )
    assert account.id.startswith("acct_") and not account.payouts_enabled
    url = await gateway.onboarding_link(
        account.id, "https://otesaintjo.test/refresh", "https://otesaintjo.test/back"
    )
    assert url.startswith("https://connect.stripe.com/")
    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), (250, 250, 250)).save(buffer, "PNG")
    updated = await gateway.attach_kyc_document(
        account.id, "IDENTITY_DOCUMENT", buffer.getvalue(), "identity.png"
    )
    assert updated.id == account.id

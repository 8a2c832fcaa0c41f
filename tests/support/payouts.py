"""A shop's payouts enabled through our API: onboarding, then both KYC documents (a small PNG)."""

from __future__ import annotations

from typing import Any

from tests.support.buying import ok
from tests.support.merchants import upload

ONBOARD = """mutation($s: ID!) { startPayoutOnboarding(input: {shopId: $s}) {
  url payouts { status requirementsDue } userErrors { field code } } }"""
KYC = """mutation($input: UploadKycDocumentInput!) { uploadKycDocument(input: $input) {
  payouts { status requirementsDue } userErrors { field code } } }"""


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, "PNG")
    return buffer.getvalue()


async def enable_payouts(client, token: str, shop_id: str) -> dict[str, Any]:
    """Onboarding through our API: the account is created, both documents go to Stripe."""
    onboard = await ok(client(ONBOARD, {"s": shop_id}, token=token), "startPayoutOnboarding")
    assert onboard["payouts"]["status"] == "PENDING"
    assert "/_double/onboarding/acct_" in onboard["url"]
    payload: dict[str, Any] = {}
    for kind in ("IDENTITY_DOCUMENT", "PROOF_OF_ADDRESS"):
        response = await upload(
            client,
            token,
            KYC,
            {"input": {"shopId": shop_id, "kind": kind, "file": None}},
            "variables.input.file",
            png(),
        )
        payload = response.json()["data"]["uploadKycDocument"]
        assert payload["userErrors"] == [], payload
    return payload["payouts"]

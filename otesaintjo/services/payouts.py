"""The shop's Stripe connected account: onboarding link, KYC documents, payout status.

Identity documents pass through memory to Stripe's files API and are never stored here.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otesaintjo import images
from otesaintjo.admission import in_thread
from otesaintjo.db import unit_of_work
from otesaintjo.errors import DomainError, ErrorCode, not_found
from otesaintjo.models import Shop, User
from otesaintjo.payments.gateway import AccountState, PaymentsGateway, PaymentsUnavailable
from otesaintjo.services import access, audit, links
from otesaintjo.services.stripe_keys import stripe_key
from otesaintjo.settings import Settings

KYC_KINDS = ("IDENTITY_DOCUMENT", "PROOF_OF_ADDRESS")


class AccountListener(Protocol):
    """The part of the payment flow KYC needs: the gateway, and what to do when Stripe
    opens the shop's payouts (send the transfers that waited)."""

    gateway: PaymentsGateway

    async def account_updated(self, account_id: str) -> None: ...


MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


async def check_merchant(
    factory: async_sessionmaker[AsyncSession], actor: User, shop_id: int, action: str
) -> None:
    """The shop's merchants and staff only (audited); the Stripe calls come after, outside
    any transaction."""
    async with unit_of_work(factory) as session:
        if not await access.manages_shop_now(session, actor, shop_id):
            raise not_found("shopId")
        if actor.is_staff:
            audit.record(session, actor, action, "Shop", shop_id)


async def shop_payouts(factory: async_sessionmaker[AsyncSession], shop_id: int) -> Shop:
    async with factory() as session:
        shop = await session.get(Shop, shop_id)
    assert shop is not None
    return shop


def _unavailable(exc: Exception) -> DomainError:
    return DomainError(
        ErrorCode.PAYMENT_UNAVAILABLE,
        "Le service de paiement est momentanément indisponible ; réessayez plus tard.",
    )


async def ensure_account(
    factory: async_sessionmaker[AsyncSession], gateway: PaymentsGateway, shop_id: int
) -> str:
    """The shop's connected account id, created at Stripe on first need."""
    async with factory() as session:
        shop = await session.get(Shop, shop_id)
    assert shop is not None
    if shop.stripe_account_id:
        return shop.stripe_account_id
    try:
        account = await gateway.create_account(
            shop.email,
            shop.name,
            {"shop_id": str(shop_id)},
            stripe_key("shop", shop_id, shop.created_at, "account"),
        )
    except PaymentsUnavailable as exc:
        raise _unavailable(exc) from exc
    async with unit_of_work(factory) as session:
        await session.execute(
            update(Shop)
            .where(Shop.id == shop_id, Shop.stripe_account_id.is_(None))  # type: ignore[union-attr]
            .values(stripe_account_id=account.id, payout_requirements=account.requirements_due)
        )
        # A concurrent call may have won: keep the account the shop holds now.
        return str(await session.scalar(select(Shop.stripe_account_id).where(Shop.id == shop_id)))


async def onboarding_link(
    factory: async_sessionmaker[AsyncSession],
    gateway: PaymentsGateway,
    settings: Settings,
    shop_id: int,
) -> str:
    account_id = await ensure_account(factory, gateway, shop_id)
    back = links.merchant_home_url(settings)  # the board says where the payouts stand
    try:
        return await gateway.onboarding_link(account_id, f"{back}?refresh=1", back)
    except PaymentsUnavailable as exc:
        raise _unavailable(exc) from exc


def check_document(content: bytes) -> None:
    """PNG or JPEG by content, at most 10 MB, and a picture Pillow can read."""
    try:
        images.check_image(content, max_bytes=MAX_DOCUMENT_BYTES)
    except images.ImageRejected as exc:
        code = (
            ErrorCode.DOCUMENT_TOO_LARGE
            if exc.code == images.IMAGE_TOO_LARGE
            else ErrorCode.UNSUPPORTED_DOCUMENT_FORMAT
        )
        message = (
            "Le document dépasse 10 Mo."
            if code == ErrorCode.DOCUMENT_TOO_LARGE
            else "Envoyez une photo ou un scan en PNG ou JPEG."
        )
        raise DomainError(code, message, ["file"]) from exc


async def upload_kyc_document(
    factory: async_sessionmaker[AsyncSession],
    gateway: PaymentsGateway,
    shop_id: int,
    kind: str,
    content: bytes,
) -> AccountState:
    check_document(content)
    try:  # the whole picture, before it goes to Stripe: a truncated file is refused here
        await in_thread(images.decode_fully, content)
    except images.ImageRejected as exc:
        raise DomainError(
            ErrorCode.UNSUPPORTED_DOCUMENT_FORMAT,
            "Ce fichier est abîmé ou incomplet : envoyez à nouveau la photo ou le scan.",
            ["file"],
        ) from exc
    account_id = await ensure_account(factory, gateway, shop_id)
    extension = "png" if images.sniff_format(content) == "PNG" else "jpg"
    try:
        account = await gateway.attach_kyc_document(
            account_id, kind, content, f"{kind.lower()}.{extension}"
        )
    except PaymentsUnavailable as exc:
        raise _unavailable(exc) from exc
    async with unit_of_work(factory) as session:
        await session.execute(
            update(Shop)
            .where(Shop.id == shop_id)
            .values(
                payouts_enabled=account.payouts_enabled,
                payout_requirements=account.requirements_due,
            )
        )
    return account


async def start_onboarding(
    factory: async_sessionmaker[AsyncSession],
    gateway: PaymentsGateway,
    settings: Settings,
    actor: User,
    shop_id: int,
) -> tuple[str, Shop]:
    """``startPayoutOnboarding``: the shop's Stripe link, its account created if needed."""
    await check_merchant(factory, actor, shop_id, "start_payout_onboarding")
    url = await onboarding_link(factory, gateway, settings, shop_id)
    return url, await shop_payouts(factory, shop_id)


async def submit_kyc_document(
    factory: async_sessionmaker[AsyncSession],
    flow: AccountListener,
    actor: User,
    shop_id: int,
    kind: str,
    content: bytes,
) -> Shop:
    """``uploadKycDocument``: to Stripe's files API; when payouts open, waiting transfers go."""
    await check_merchant(factory, actor, shop_id, "upload_kyc_document")
    account = await upload_kyc_document(factory, flow.gateway, shop_id, kind, content)
    if account.payouts_enabled:
        await flow.account_updated(account.id)
    return await shop_payouts(factory, shop_id)

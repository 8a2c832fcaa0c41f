"""Reviews: of a shop by its verified buyers, and of the marketplace by any customer.

A shop's rating is a (count, total) row moved by one atomic ``UPDATE … SET count = count + 1``
in the review's transaction, so concurrent reviews never lose a vote; hidden reviews leave it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from otesaintjo.db import upsert_insert
from otesaintjo.errors import DomainError, ErrorCode, not_found
from otesaintjo.models import Order, OrderStatus, PlatformReview, ShopRating, ShopReview, User
from otesaintjo.services import access, audit, pages
from otesaintjo.services.validation import clean_text

MAX_COMMENT = 2000


def check_rating(rating: int) -> int:
    if not 1 <= rating <= 5:
        raise DomainError(ErrorCode.INVALID_RATING, "La note va de 1 à 5.", ["rating"])
    return rating


async def move_rating(session: AsyncSession, shop_id: int, count: int, total: int) -> None:
    """Add ``count`` reviews worth ``total`` stars to the shop's rating (negative to remove)."""
    await session.execute(
        upsert_insert(session)(ShopRating)
        .values(shop_id=shop_id, count=count, total=total)
        .on_conflict_do_update(
            index_elements=[ShopRating.shop_id],
            set_={"count": ShopRating.count + count, "total": ShopRating.total + total},
        )
    )


async def has_received_order(session: AsyncSession, user_id: int, shop_id: int) -> bool:
    found = await session.scalar(
        select(func.count())
        .select_from(Order)
        .where(
            Order.user_id == user_id,
            Order.shop_id == shop_id,
            Order.status.in_((OrderStatus.DELIVERED, OrderStatus.COLLECTED)),  # type: ignore[attr-defined]
        )
    )
    return bool(found)


async def create_shop_review(
    session: AsyncSession, user: User, shop_id: int, rating: int, comment: str, now: datetime
) -> ShopReview:
    rating = check_rating(rating)
    comment = clean_text(comment, ["comment"], max_length=MAX_COMMENT, required=False)
    if not await has_received_order(session, user.id, shop_id):  # type: ignore[arg-type]
        raise DomainError(
            ErrorCode.REVIEW_NOT_ALLOWED,
            "Seuls les clients ayant reçu une commande de cette boutique peuvent la noter.",
            ["shopId"],
        )
    review = ShopReview(
        shop_id=shop_id,
        user_id=user.id,  # type: ignore[arg-type]
        rating=rating,
        comment=comment,
        created_at=now,
        updated_at=now,
    )
    session.add(review)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise DomainError(
            ErrorCode.REVIEW_EXISTS, "Vous avez déjà noté cette boutique : modifiez votre avis."
        ) from exc
    await move_rating(session, shop_id, 1, rating)
    return review


async def update_shop_review(
    session: AsyncSession, author: User, review_id: int, rating: int, comment: str, now: datetime
) -> ShopReview:
    """Its author only (anyone else: NOT_FOUND)."""
    review = await _review(session, review_id)
    if review.user_id != author.id:
        raise not_found("reviewId")
    rating = check_rating(rating)
    comment = clean_text(comment, ["comment"], max_length=MAX_COMMENT, required=False)
    previous = review.rating
    await session.execute(
        update(ShopReview)
        .where(ShopReview.id == review.id)
        .values(rating=rating, comment=comment, updated_at=now)
    )
    if review.hidden_at is None:
        await move_rating(session, review.shop_id, 0, rating - previous)
    await session.refresh(review)
    return review


async def _review(session: AsyncSession, review_id: int) -> ShopReview:
    review = await session.get(ShopReview, review_id)
    if review is None:
        raise not_found("reviewId")
    return review


async def reply(
    session: AsyncSession, actor: User, review_id: int, text: str, now: datetime
) -> ShopReview:
    """The shop's one public reply: its merchants (or staff, audited)."""
    review = await _review(session, review_id)
    if not await access.manages_shop_now(session, actor, review.shop_id):
        raise not_found("reviewId")
    if actor.is_staff:
        audit.record(session, actor, "reply_to_review", "ShopReview", review_id)
    text = clean_text(text, ["reply"], max_length=MAX_COMMENT)
    replied = await session.execute(
        update(ShopReview)
        .where(ShopReview.id == review.id, ShopReview.reply.is_(None))  # type: ignore[union-attr]
        .values(reply=text, replied_at=now)
    )
    if replied.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError(ErrorCode.REPLY_EXISTS, "La boutique a déjà répondu à cet avis.")
    await session.refresh(review)
    return review


async def hide(
    session: AsyncSession, staff: User, review_id: int, reason: str, now: datetime
) -> ShopReview:
    """Moderation (staff only, audited): the review leaves the page and the rating."""
    review = await _review(session, review_id)
    reason = clean_text(reason, ["reason"], max_length=500)
    audit.record(session, staff, "hide_review", "ShopReview", review_id, reason=reason)
    hidden = await session.execute(
        update(ShopReview)
        .where(ShopReview.id == review.id, ShopReview.hidden_at.is_(None))  # type: ignore[union-attr]
        .values(hidden_at=now, hidden_reason=reason)
    )
    if hidden.rowcount == 1:  # type: ignore[attr-defined]
        await move_rating(session, review.shop_id, -1, -review.rating)
    await session.refresh(review)
    return review


async def create_platform_review(
    session: AsyncSession, user: User, rating: int, comment: str, now: datetime
) -> PlatformReview:
    """One review of the marketplace per customer; a second one is refused (edit it)."""
    review = PlatformReview(
        user_id=user.id,  # type: ignore[arg-type]
        rating=check_rating(rating),
        comment=clean_text(comment, ["comment"], max_length=MAX_COMMENT, required=False),
        created_at=now,
        updated_at=now,
    )
    session.add(review)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise DomainError(
            ErrorCode.REVIEW_EXISTS,
            "Vous avez déjà donné votre avis sur Otesaintjo : modifiez-le.",
        ) from exc
    return review


async def update_platform_review(
    session: AsyncSession, author: User, rating: int, comment: str, now: datetime
) -> PlatformReview:
    """The viewer's own review of the marketplace (none yet: NOT_FOUND)."""
    review = await session.scalar(select(PlatformReview).where(PlatformReview.user_id == author.id))
    if review is None:
        raise not_found("rating", "Vous n'avez pas encore donné votre avis.")
    review.rating = check_rating(rating)
    review.comment = clean_text(comment, ["comment"], max_length=MAX_COMMENT, required=False)
    review.updated_at = now
    await session.flush()
    return review


async def hide_platform_review(
    session: AsyncSession, staff: User, review_id: int, reason: str, now: datetime
) -> PlatformReview:
    """Moderation (staff only, audited): the review leaves the list and the average."""
    review = await session.get(PlatformReview, review_id)
    if review is None:
        raise not_found("reviewId")
    reason = clean_text(reason, ["reason"], max_length=500)
    audit.record(session, staff, "hide_platform_review", "PlatformReview", review_id, reason=reason)
    if review.hidden_at is None:
        review.hidden_at, review.hidden_reason = now, reason
        await session.flush()
    return review


def visible_platform_reviews() -> list[Any]:
    return [PlatformReview.hidden_at.is_(None)]  # type: ignore[union-attr]


async def platform_reviews_page(
    factory: pages.Factory, *, limit: int, after: str | None
) -> pages.Page:
    """The marketplace's visible reviews, newest first."""
    return await pages.newest_first(
        factory, PlatformReview, visible_platform_reviews(), limit=limit, after=after
    )


async def platform_rating(session: AsyncSession) -> tuple[int, int]:
    """(count, total of the ratings) of the visible reviews of the marketplace."""
    count, total = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(PlatformReview.rating), 0)).where(
                *visible_platform_reviews()
            )
        )
    ).one()
    return int(count), int(total)


async def shop_reviews_page(
    factory: pages.Factory, shop_id: int, *, limit: int, after: str | None
) -> pages.Page:
    """A shop's visible reviews, newest first."""
    visible = [ShopReview.shop_id == shop_id, ShopReview.hidden_at.is_(None)]  # type: ignore[union-attr]
    return await pages.newest_first(factory, ShopReview, visible, limit=limit, after=after)

"""Delivery slots of a merchant who delivers by itself, and the day a carrier should deliver.

The FAQ promises "an email confirming the delivery slot" after checkout. The rules:

- A shop's merchants publish weekly slots: a weekday, start–end in Réunion time (HH:MM), a
  capacity (orders per occurrence) and a cut-off (hours before the start after which the
  occurrence can no longer be booked). Slots of one weekday may not overlap; 50 per shop.
- A cart whose shop is delivered by the merchant offers the dated occurrences of the next
  ``settings.delivery_slot_days`` days (today included), except public holidays of La Réunion,
  the shop's exceptional closures, occurrences past their cut-off and full ones.
- Once a shop has published slots, its own delivery needs one at checkout. Checkout books the
  occurrence with a conditional ``UPDATE … SET booked = booked + 1 WHERE booked < capacity``
  on the occurrence's own counter row (no global hot row), in the checkout's transaction:
  all or nothing with the stock and the orders. A cancelled or expired order gives it back.
- Editing a slot changes what is offered from then on; orders already booked keep the hours
  they were sold with (copied on the order) and keep counting in the occurrence of their day.
  Deleting a slot withdraws it from carts; its orders keep their hours.
- Carriers promise a day, counted in working days of La Réunion (Monday to Friday, except its
  public holidays): ``ESTIMATE_RULES`` below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from otesaintjo.clock import REUNION
from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models import DeliverySlot, DeliverySlotBooking, Order, Shop, User
from otesaintjo.services.reunion_calendar import add_working_days, is_public_holiday, is_working_day
from otesaintjo.services.shop_rules import WEEKDAYS
from otesaintjo.services.shops import shop_for_merchant

MAX_SLOTS_PER_SHOP = 50
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_CAPACITY = 1000
MAX_CUTOFF_HOURS = 7 * 24

# Per carrier, the working days from the order to the door and, for a same-day courier, the
# Réunion time before which an order placed on a working day arrives that very day.
ESTIMATE_RULES: dict[str, tuple[int, time | None]] = {
    "STUART": (0, time(14, 0)),  # same day before 14:00 on a working day, else the next one
    "LA_POSTE": (2, None),  # D+2 working days
    "COLISSIMO": (5, None),  # mainland France: D+5 working days
    "MERCHANT": (1, None),  # a merchant without slots: the next working day
}
DEFAULT_ESTIMATE_DAYS = 3  # a carrier of OTESAINTJO_CARRIER_ZONES without a rule here


@dataclass(frozen=True)
class SlotInput:
    weekday: str
    starts: str
    ends: str
    capacity: int
    cutoff_hours: int


@dataclass(frozen=True)
class SlotChanges:
    weekday: str | None = None
    starts: str | None = None
    ends: str | None = None
    capacity: int | None = None
    cutoff_hours: int | None = None


@dataclass(frozen=True)
class Occurrence:
    """A slot on a given day, as a cart offers it."""

    slot: DeliverySlot
    day: date
    starts_at: datetime
    ends_at: datetime
    booked: int

    @property
    def remaining(self) -> int:
        return max(self.slot.capacity - self.booked, 0)

    @property
    def full(self) -> bool:
        return self.remaining == 0


def estimated_delivery_date(carrier: str, now: datetime) -> date:
    """The day a carrier should deliver an order placed at ``now`` (``ESTIMATE_RULES``)."""
    local = now.astimezone(REUNION)
    today = local.date()
    days, same_day_before = ESTIMATE_RULES.get(carrier, (DEFAULT_ESTIMATE_DAYS, None))
    if same_day_before is not None:
        if is_working_day(today) and local.time() < same_day_before:
            return today
        return add_working_days(today + timedelta(days=1), 0)
    return add_working_days(today, days)


def _bounded(value: int, low: int, high: int, field: str, what: str) -> int:
    if not low <= value <= high:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{what} : de {low} à {high}.", [field])
    return value


def _check(slot: SlotInput, others: Iterable[DeliverySlot]) -> SlotInput:
    """HH:MM, start before end, no overlap with the shop's other slots of that weekday,
    capacity 1–1000 orders, cut-off 0–168 hours (a week)."""
    if slot.weekday not in WEEKDAYS or not (HHMM.match(slot.starts) and HHMM.match(slot.ends)):
        raise DomainError(ErrorCode.INVALID_HOURS, "Horaire invalide : HH:MM.", ["starts"])
    if slot.starts >= slot.ends:
        raise DomainError(ErrorCode.INVALID_HOURS, "Le créneau finit avant de commencer.", ["ends"])
    for other in others:
        if other.weekday == slot.weekday and other.starts < slot.ends and slot.starts < other.ends:
            raise DomainError(
                ErrorCode.INVALID_HOURS,
                f"Ce créneau chevauche celui de {other.starts} à {other.ends} le même jour.",
                ["starts"],
            )
    _bounded(slot.capacity, 1, MAX_CAPACITY, "capacity", "Capacité (commandes par créneau)")
    _bounded(slot.cutoff_hours, 0, MAX_CUTOFF_HOURS, "cutoffHours", "Délai de réservation (h)")
    return slot


async def _lock_shop(session: AsyncSession, shop: Shop, now: datetime, added: int = 0) -> None:
    """Write the shop's row first: its lock serialises the edits of its slots (the overlap
    check reads the others), the write bumps the shop's cached answers (response_cache), and
    it counts the slots (``added``: +1, -1 or 0) so carts skip shops without any."""
    count = (
        await session.execute(
            update(Shop)
            .where(Shop.id == shop.id)  # type: ignore[arg-type]
            .values(updated_at=now, delivery_slot_count=Shop.delivery_slot_count + added)
            .returning(Shop.delivery_slot_count)
        )
    ).scalar_one()
    set_committed_value(shop, "updated_at", now)
    set_committed_value(shop, "delivery_slot_count", count)


async def _shop_slots(session: AsyncSession, shop_id: int) -> list[DeliverySlot]:
    return list(
        await session.scalars(
            select(DeliverySlot)
            .where(DeliverySlot.shop_id == shop_id)
            .order_by(DeliverySlot.weekday, DeliverySlot.starts, DeliverySlot.id)
        )
    )


async def create_slot(
    session: AsyncSession, user: User, shop_id: int, data: SlotInput, now: datetime
) -> DeliverySlot:
    """``createDeliverySlot``: the shop's merchants (or staff, audited) only."""
    shop = await shop_for_merchant(session, user, shop_id, "create_delivery_slot")
    await _lock_shop(session, shop, now, added=1)
    existing = await _shop_slots(session, shop_id)
    if len(existing) >= MAX_SLOTS_PER_SHOP:
        raise DomainError(
            ErrorCode.TOO_MANY_ITEMS, f"Au plus {MAX_SLOTS_PER_SHOP} créneaux par boutique."
        )
    _check(data, existing)
    slot = DeliverySlot(
        shop_id=shop_id,
        weekday=data.weekday,
        starts=data.starts,
        ends=data.ends,
        capacity=data.capacity,
        cutoff_hours=data.cutoff_hours,
        created_at=now,
        updated_at=now,
    )
    session.add(slot)
    await session.flush()
    return slot


async def _slot_for_merchant(
    session: AsyncSession, user: User, slot_id: int, action: str
) -> tuple[DeliverySlot, Shop]:
    slot = await session.get(DeliverySlot, slot_id)
    if slot is None:
        raise DomainError(ErrorCode.NOT_FOUND, "Créneau introuvable.", ["slotId"])
    shop = await shop_for_merchant(session, user, slot.shop_id, action, slot_id=slot_id)
    return slot, shop


async def update_slot(
    session: AsyncSession, user: User, slot_id: int, changes: SlotChanges, now: datetime
) -> DeliverySlot:
    """``updateDeliverySlot``: orders already booked keep the hours they were sold with."""
    slot, shop = await _slot_for_merchant(session, user, slot_id, "update_delivery_slot")
    await _lock_shop(session, shop, now)
    wanted = SlotInput(
        weekday=changes.weekday or slot.weekday,
        starts=changes.starts or slot.starts,
        ends=changes.ends or slot.ends,
        capacity=changes.capacity if changes.capacity is not None else slot.capacity,
        cutoff_hours=changes.cutoff_hours
        if changes.cutoff_hours is not None
        else slot.cutoff_hours,
    )
    others = [s for s in await _shop_slots(session, slot.shop_id) if s.id != slot.id]
    _check(wanted, others)
    slot.weekday, slot.starts, slot.ends = wanted.weekday, wanted.starts, wanted.ends
    slot.capacity, slot.cutoff_hours = wanted.capacity, wanted.cutoff_hours
    slot.updated_at = now
    await session.flush()
    return slot


async def delete_slot(session: AsyncSession, user: User, slot_id: int, now: datetime) -> Shop:
    """``deleteDeliverySlot``: no longer offered; its booking counters go with it (orders keep
    their hours). A cart that had chosen it must choose again."""
    slot, shop = await _slot_for_merchant(session, user, slot_id, "delete_delivery_slot")
    await _lock_shop(session, shop, now, added=-1)
    await session.delete(slot)
    await session.flush()
    return shop


def occurrences(
    slots: Sequence[DeliverySlot],
    booked: dict[tuple[int, date], int],
    closures: Sequence[dict[str, str]],
    now: datetime,
    days: int,
) -> list[Occurrence]:
    """The bookable occurrences of ``slots`` over ``days`` days from today (Réunion time):
    not a public holiday of La Réunion, not a closure of the shop, before the cut-off. Full
    ones are kept (``Occurrence.full``): the cart hides them, checkout names them."""
    today = now.astimezone(REUNION).date()
    closed = {c["date"] for c in closures}
    found: list[Occurrence] = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        if is_public_holiday(day) or day.isoformat() in closed:
            continue
        weekday = WEEKDAYS[day.weekday()]
        for slot in slots:
            if slot.weekday != weekday:
                continue
            starts_at = datetime.combine(day, time.fromisoformat(slot.starts), REUNION)
            if now >= starts_at - timedelta(hours=slot.cutoff_hours):
                continue  # past the cut-off
            found.append(
                Occurrence(
                    slot=slot,
                    day=day,
                    starts_at=starts_at,
                    ends_at=datetime.combine(day, time.fromisoformat(slot.ends), REUNION),
                    booked=booked.get((slot.id, day), 0),  # type: ignore[arg-type]
                )
            )
    found.sort(key=lambda o: (o.starts_at, o.ends_at, o.slot.id))
    return found


async def occurrences_by_shop(
    session: AsyncSession, shops: Sequence[Shop], now: datetime, days: int
) -> dict[int, list[Occurrence]]:
    """``{shop_id: occurrences}`` for these shops (only those with slots), in two queries."""
    if not shops:
        return {}
    slots = list(
        await session.scalars(
            select(DeliverySlot).where(
                DeliverySlot.shop_id.in_([s.id for s in shops])  # type: ignore[attr-defined]
            )
        )
    )
    if not slots:
        return {}
    today = now.astimezone(REUNION).date()
    booked = {
        (row.slot_id, row.day): row.booked
        for row in await session.scalars(
            select(DeliverySlotBooking).where(
                DeliverySlotBooking.slot_id.in_([s.id for s in slots]),  # type: ignore[attr-defined]
                DeliverySlotBooking.day >= today,  # type: ignore[operator]
                DeliverySlotBooking.day < today + timedelta(days=days),  # type: ignore[operator]
            )
        )
    }
    result: dict[int, list[Occurrence]] = {}
    for shop in shops:
        mine = [s for s in slots if s.shop_id == shop.id]
        if mine:
            result[shop.id] = occurrences(mine, booked, shop.closures, now, days)  # type: ignore[index]
    return result


def find(found: Sequence[Occurrence], slot_id: int | None, day: date | None) -> Occurrence | None:
    return next((o for o in found if o.slot.id == slot_id and o.day == day), None)


def full_error(field: list[str] | None = None) -> DomainError:
    return DomainError(
        ErrorCode.DELIVERY_SLOT_FULL,
        "Ce créneau de livraison est complet : choisissez-en un autre.",
        field or ["slotId"],
    )


async def book(session: AsyncSession, occurrence: Occurrence, field: list[str]) -> None:
    """Take one place of the occurrence, or refuse it full. One conditional update on the
    occurrence's own row (created at its first booking): two customers racing for the last
    place are serialised by that row's lock, and the second finds ``booked = capacity``. The
    capacity is read in the same statement (a merchant lowering it is obeyed at once)."""
    slot_id, day = occurrence.slot.id, occurrence.day
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(DeliverySlotBooking)
        .values(slot_id=slot_id, day=day, booked=0)
        .on_conflict_do_nothing(index_elements=["slot_id", "day"])
    )
    capacity = select(DeliverySlot.capacity).where(DeliverySlot.id == slot_id).scalar_subquery()
    taken = await session.execute(
        update(DeliverySlotBooking)
        .where(
            DeliverySlotBooking.slot_id == slot_id,  # type: ignore[arg-type]
            DeliverySlotBooking.day == day,  # type: ignore[arg-type]
            DeliverySlotBooking.booked < capacity,  # type: ignore[arg-type]
        )
        .values(booked=DeliverySlotBooking.booked + 1)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise full_error(field)


async def release(session: AsyncSession, orders: Iterable[Order]) -> None:
    """Give back the places of cancelled orders (an unpaid checkout that expired, a
    cancellation), in shop id order as checkout books them (no crossed waits). A slot deleted
    since: nothing."""
    held = sorted(
        (o.shop_id, o.delivery_slot_id, o.delivery_slot_date)
        for o in orders
        if o.delivery_slot_id is not None and o.delivery_slot_date is not None
    )
    for _, slot_id, day in held:
        await session.execute(
            update(DeliverySlotBooking)
            .where(
                DeliverySlotBooking.slot_id == slot_id,  # type: ignore[arg-type]
                DeliverySlotBooking.day == day,  # type: ignore[arg-type]
                DeliverySlotBooking.booked > 0,  # type: ignore[arg-type]
            )
            .values(booked=DeliverySlotBooking.booked - 1)
        )

"""Scalars of the contract: ``DateTime`` is ISO 8601 with offset, shown in Réunion time."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from otesaintjo.clock import REUNION


def _serialize(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime cannot be serialised")
    return value.astimezone(REUNION).isoformat()


EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def _parse(value: object) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("DateTime attend une chaîne ISO 8601")
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("DateTime doit préciser son décalage horaire (ex. +04:00)")
        in_utc = parsed.astimezone(UTC)  # 9999-12-31T23:59:59-12:00 overflows here
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"DateTime invalide : {exc}") from None
    if not EARLIEST <= in_utc < LATEST:
        raise ValueError("DateTime hors des années 2000 à 2199")
    return parsed


DateTime = strawberry.scalar(
    name="DateTime",
    description="Date et heure ISO 8601 avec décalage, exprimées à l'heure de La Réunion (+04:00).",
    serialize=_serialize,
    parse_value=_parse,
)

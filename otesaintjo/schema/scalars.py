"""Scalars of the contract: ``DateTime`` is ISO 8601 with offset, shown in Réunion time."""

from __future__ import annotations

from datetime import datetime

import strawberry

from otesaintjo.clock import REUNION


def _serialize(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime cannot be serialised")
    return value.astimezone(REUNION).isoformat()


def _parse(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime attend une chaîne ISO 8601")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("DateTime doit préciser son décalage horaire (ex. +04:00)")
    return parsed


DateTime = strawberry.scalar(
    name="DateTime",
    description="Date et heure ISO 8601 avec décalage, exprimées à l'heure de La Réunion (+04:00).",
    serialize=_serialize,
    parse_value=_parse,
)

"""Global ids in inputs: decoded once, and a wrong type or a malformed id is a userError."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay

from otesaintjo.errors import DomainError, ErrorCode
from otesaintjo.models.base import MAX_PK


def decode_id(value: strawberry.ID, type_name: str, field: list[str]) -> int:
    try:
        global_id = relay.GlobalID.from_id(value)
        if global_id.type_name != type_name:
            raise ValueError(global_id.type_name)
        pk = int(global_id.node_id)
        if not 0 < pk <= MAX_PK:
            raise ValueError(pk)
        return pk
    except Exception as exc:
        raise DomainError(
            ErrorCode.NOT_FOUND, f"Identifiant invalide : un {type_name} est attendu.", field
        ) from exc


def encode_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(str(relay.GlobalID(type_name, str(pk))))


def primary_keys(node_ids: Iterable[str]) -> list[int]:
    """The integer keys inside a type's node ids; a non-numeric or out-of-range one becomes
    -1 (not found)."""
    keys = [int(i) if str(i).isdigit() and len(str(i)) <= 10 else -1 for i in node_ids]
    return [k if 0 < k <= MAX_PK else -1 for k in keys]

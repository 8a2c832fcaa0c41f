"""The checked-in SDL matches the code, and every root field declares its permission."""

from __future__ import annotations

from pathlib import Path

import pytest
import strawberry

from otesaintjo.graphql_schema import assert_permissions_declared, build_schema
from otesaintjo.schema.permissions import Public

ROOT = Path(__file__).resolve().parents[2]


def test_schema_graphql_is_up_to_date() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == build_schema().as_str() + "\n", (
        "schema.graphql is out of date: run `otesaintjo export-schema` and commit the file"
    )


def test_every_root_field_declares_a_permission() -> None:
    assert_permissions_declared(build_schema())  # would raise, naming the fields


def test_a_field_without_permission_is_refused() -> None:
    @strawberry.type
    class Query:
        @strawberry.field(permission_classes=[Public])
        def declared(self) -> int:
            return 1

        @strawberry.field
        def forgotten(self) -> int:
            return 2

    with pytest.raises(TypeError, match=r"Query\.forgotten"):
        assert_permissions_declared(strawberry.Schema(query=Query))

"""GraphiQL is the front-end developers' manual: every argument, enum value and input field
of the schema says what it is for, in French."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
)

from otesaintjo.graphql_schema import build_schema


@dataclass
class Tally:
    """What has a description and what has none, for one kind of schema element."""

    total: int = 0
    missing: list[str] = field(default_factory=list)

    def see(self, name: str, description: str | None) -> None:
        self.total += 1
        if not (description and description.strip()):
            self.missing.append(name)

    @property
    def described(self) -> int:
        return self.total - len(self.missing)


@dataclass
class Tallies:
    arguments: Tally = field(default_factory=Tally)
    enum_values: Tally = field(default_factory=Tally)
    input_fields: Tally = field(default_factory=Tally)


def tally(schema: GraphQLSchema) -> Tallies:
    tallies = Tallies()
    for type_name, graphql_type in sorted(schema.type_map.items()):
        if type_name.startswith("__"):
            continue
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, graphql_field in graphql_type.fields.items():
                for arg_name, arg in graphql_field.args.items():
                    where = f"{type_name}.{field_name}({arg_name})"
                    tallies.arguments.see(where, arg.description)
        elif isinstance(graphql_type, GraphQLEnumType):
            for value_name, value in graphql_type.values.items():
                tallies.enum_values.see(f"{type_name}.{value_name}", value.description)
        elif isinstance(graphql_type, GraphQLInputObjectType):
            for field_name, input_field in graphql_type.fields.items():
                tallies.input_fields.see(f"{type_name}.{field_name}", input_field.description)
    return tallies


@pytest.fixture(scope="module")
def tallies() -> Tallies:
    found = tally(build_schema()._schema)
    print(
        f"\narguments {found.arguments.described}/{found.arguments.total}, "
        f"enum values {found.enum_values.described}/{found.enum_values.total}, "
        f"input fields {found.input_fields.described}/{found.input_fields.total}"
    )
    return found


def test_every_argument_is_described(tallies: Tallies) -> None:
    assert tallies.arguments.total > 0
    assert not tallies.arguments.missing, "arguments without a description:\n" + "\n".join(
        tallies.arguments.missing
    )


def test_every_enum_value_is_described(tallies: Tallies) -> None:
    assert tallies.enum_values.total > 0
    assert not tallies.enum_values.missing, "enum values without a description:\n" + "\n".join(
        tallies.enum_values.missing
    )


def test_every_input_field_is_described(tallies: Tallies) -> None:
    assert tallies.input_fields.total > 0
    assert not tallies.input_fields.missing, "input fields without a description:\n" + "\n".join(
        tallies.input_fields.missing
    )
